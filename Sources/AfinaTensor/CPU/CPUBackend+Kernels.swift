// What the CPU backend runs on this machine: every choice below is made at run time from
// CPUFeatures and the BLAS library's own choice, so benchmark numbers carry it beside them.
extension CPUBackend {
    public var kernels: [(role: String, kernel: String)] {
        [
            ("cpu", "\(CPUFeatures.modelName), \(Parallel.cores) threads (\(CPUFeatures.current))"),
            ("float products", usesBF16 ? bf16Kernel.summary
                : "fp32: \(BLASKernels.summary), one slice per thread"),
            ("quantized decode", "fused row dots: AVX2, float activations for Q4_0, Q4_1, Q5_0, Q8_0; " + kQuantSummary),
            ("quantized prefill", usesBF16 ? "weight tiles dequantized and packed to bf16, then the bf16 tiles"
                : "weight tiles dequantized to fp32, then OpenBLAS sgemm"),
        ]
    }

    private var kQuantSummary: String {
        switch KQuantKernel.best {
        case .avx2: "AVX2, float activations for Q4_K, Q5_K, Q6_K"
        case .avx512: "AVX-512, float activations for Q4_K, Q5_K, Q6_K"
        case .int8: "AVX-512, activations rounded to int8 per 256 (as llama.cpp) for Q4_K, Q6_K, float for Q5_K"
        }
    }
}
