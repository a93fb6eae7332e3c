// Prefill's products with Q4_K and Q6_K weights: the activations rounded to int16 per 64 values
// and packed once, then each core's weight rows met with exact integer products
// (quant_gemm_int16.c, AVX-512 VNNI).
import CAfinaKernels

extension CPUBackend {
    /// Whether `linear` multiplies many rows of x by `type`'s weights in int16, per 64 values
    /// (else: float tiles).
    static func multipliesInInt16(_ type: DType) -> Bool {
        (type == .q4_K || type == .q6_K) && DecodeDotKernel.best == .int16 && CPUFeatures.current.contains(.avx512vnni)
    }

    func int16Product(_ x: Tensor, _ weight: Tensor, into out: Tensor) {
        let (n, k, m) = (x.rows, x.columns, weight.rows)
        let bytes = afina_i16_packed_size(n, k)
        let packed = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { packed.deallocate() }
        packed.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        Parallel.forEach(n, workPerItem: k * 4) { r in afina_pack_activations_i16(x.f32, k, packed, r.lowerBound, r.upperBound) }
        let rowBytes = weight.dtype.byteCount(elements: k)!
        let product = weight.dtype == .q4_K ? afina_gemm_q4_k_i16 : afina_gemm_q6_k_i16
        Parallel.forEach(m, workPerItem: n * k) { r in
            product(weight.rowBytes(0), rowBytes, r.lowerBound, r.upperBound, k, packed, n, out.f32, m)
        }
    }
}
