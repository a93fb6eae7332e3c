// What the CPU backend runs on this machine: every choice below is made at run time from
// CPUFeatures and the BLAS library's own choice, so benchmark numbers carry it beside them.
extension CPUBackend {
    public var kernels: [(role: String, kernel: String)] {
        [
            ("cpu", "\(CPUFeatures.modelName), \(Parallel.cores) threads (\(CPUFeatures.current))"),
            ("float products", usesBF16 ? bf16Kernel.summary
                : "fp32: \(BLASKernels.summary), one slice per thread"
                    + (inputGradientKernel == .tiles ? "; input gradients dy·W: AVX-512F register tiles; x·Wᵀ of "
                        + "\(Self.dotFormMinimumRows)+ weight rows (output heads): AVX-512F dot tiles" : "")),
            ("quantized decode", "fused row dots: " + decodeSummary),
            ("quantized prefill", usesBF16 ? "weight tiles dequantized and packed to bf16, then the bf16 tiles"
                : (Self.multipliesInInt16(.q4_K) ? "Q4_K, Q6_K: activations rounded to int16 per 64 values, exact integer products "
                    + "(AVX-512 VNNI); others: " : "") + "weight tiles dequantized to fp32, then OpenBLAS sgemm"),
            ("narrow products", Self.hasTileKernel
                ? "a side up to \(Self.narrowWidth) (LoRA adapters): AVX-512F register tiles, fp32" : "OpenBLAS sgemm"),
            ("attention", (usesBF16 ? "bf16 inputs, fp32 sums: the bf16 kernel" : "OpenBLAS sgemm")
                + " per block of 64 queries; decoding: SIMD loops"),
        ]
    }

    private var decodeSummary: String {
        switch DecodeDotKernel.best {
        case .avx2: "AVX2, float activations"
        case .avx512: "float activations; AVX2 for Q4_0, Q5_0, Q8_0, AVX-512 for Q4_1, Q4_K, Q5_K, Q6_K"
        case .int16: "activations rounded to int16, exact integer products (AVX-512): per 32 values for Q5_0, Q8_0, "
            + "per 256 for Q4_K, Q5_K, Q6_K; float activations for Q4_1 (AVX-512), Q4_0 (AVX2)"
        }
    }
}
