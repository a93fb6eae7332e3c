// The matrix products of attention, one query block of one head at a time. A float32 backend
// runs them on OpenBLAS's sgemm; a bf16 backend rounds their inputs to bfloat16 and sums in
// float32 on the kernel of its other products, as PyTorch's bf16 autocast runs attention.
import CAfinaKernels
import COpenBLAS

struct AttentionProduct {
    /// The kernel of a bf16 backend; nil for float32.
    let bf16: BF16Kernel?

    /// c [rows, cols] = alpha · op(a) op(b), or c += that (`accumulate`); op(a) is [rows, inner],
    /// stored transposed where `ta` (and op(b) [inner, cols] where `tb`), with cblas's
    /// row-major strides.
    func callAsFunction(_ ta: Bool, _ tb: Bool, rows: Int, cols: Int, inner: Int, alpha: Float = 1,
                        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                        accumulate: Bool = false, into c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        guard let bf16 else {
            return cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                               Int32(rows), Int32(cols), Int32(inner), alpha, a, Int32(lda), b, Int32(ldb),
                               accumulate ? 1 : 0, c, Int32(ldc))
        }
        let (converted, packed) = (Scratch<UInt16>(rows * afina_bf16_row_width(inner)),
                                   Scratch<UInt16>(afina_bf16_packed_size(inner, cols)))
        defer { converted.release(); packed.release() }
        if ta {
            afina_bf16_convert_at(a, lda, inner, alpha, converted.pointer, 0, rows)
        } else {
            afina_bf16_convert_a(a, lda, inner, converted.pointer, 0, rows)
        }
        afina_bf16_pack_b(b, ldb, tb ? 1 : 0, inner, cols, packed.pointer, 0, (cols + 31) / 32)
        bf16.gemm(converted.pointer, inner, packed.pointer, cols, c, ldc, accumulate: accumulate, 0, rows)
        if !ta, alpha != 1 {  // only the scores are scaled, and they are written, not accumulated
            precondition(!accumulate, "a scaled product that accumulates")
            for r in 0..<rows { for j in 0..<cols { c[r * ldc + j] *= alpha } }
        }
    }
}

extension CPUBackend {
    var attentionProduct: AttentionProduct { AttentionProduct(bf16: usesBF16 ? bf16Kernel : nil) }
}
