// Prefill's products with Q4_K weights: the activations rounded to int16 per 256 values (as
// decoding rounds them) and packed once, then each core's weight rows met with exact integer
// products (quant_gemm_int16.c, AVX-512 VNNI).
import CAfinaKernels

extension CPUBackend {
    /// Whether `linear` multiplies many rows of x by `type`'s weights in int16, per 64 values
    /// (else: float tiles).
    static func multipliesInInt16(_ type: DType) -> Bool {
        type == .q4_K && DecodeDotKernel.best == .int16 && CPUFeatures.current.contains(.avx512vnni)
    }

    func int16Product(_ x: Tensor, _ weight: Tensor, into out: Tensor) {
        let (n, k, m) = (x.rows, x.columns, weight.rows)
        let tokens = afina_i16_tokens(n)
        // Columns past n stay zero: their lanes are computed with the rest and never stored.
        let words = UnsafeMutablePointer<UInt32>.allocate(capacity: k / 2 * tokens)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: k / 64 * tokens)
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: k / 32 * tokens)
        words.initialize(repeating: 0, count: k / 2 * tokens)
        scales.initialize(repeating: 0, count: k / 64 * tokens)
        sums.initialize(repeating: 0, count: k / 32 * tokens)
        defer { words.deallocate(); scales.deallocate(); sums.deallocate() }
        Parallel.forEach(n, workPerItem: k * 4) { r in
            afina_pack_activations_i16(x.f32, k, tokens, words, scales, sums, r.lowerBound, r.upperBound)
        }
        let rowBytes = weight.dtype.byteCount(elements: k)!
        Parallel.forEach(m, workPerItem: n * k) { r in
            afina_gemm_q4_k_i16(weight.rowBytes(0), rowBytes, r.lowerBound, r.upperBound, k, words, scales, sums,
                                tokens, n, out.f32, m)
        }
    }
}
