// The fused quantized row dots decoding runs: with float activations, the k-quants in 16-lane
// AVX-512 forms where the CPU has AVX-512 (kquant_dot.c; on the Zen 5 EPYC they decode
// Qwen2.5-Coder 1.5B Q4_K_M faster than the 8-lane ones), else AVX2; or, fastest, with
// activations rounded to int16 (quant_dot_int16.c): Q4_K, Q5_K and Q6_K per 256 values, Q5_0
// and Q8_0 per 32, exact integer products. Q4_1 keeps float activations in an AVX-512 form, and
// Q4_0 the AVX2 one. AFINA_DECODE_KERNEL=avx512 or avx2 picks float activations for
// comparisons.
import CAfinaKernels

public enum DecodeDotKernel: String, Sendable, CaseIterable, KernelChoice {
    case avx2, avx512, int16

    public var isAvailable: Bool {
        CPUFeatures.current.isSuperset(of: self == .avx2 ? [.avx2, .fma] : [.avx512f, .avx512bw])
    }

    /// The fastest form here, or the one AFINA_DECODE_KERNEL names where this CPU runs it.
    public static let best = chosen(fastest: int16.isAvailable ? .int16 : .avx2, variable: "AFINA_DECODE_KERNEL", what: "decode dot")

    typealias SummedDot = @convention(c) (UnsafeRawPointer?, UnsafePointer<Float>?, Int, UnsafePointer<Float>?, Int32,
                                          UnsafeMutablePointer<Float>?, Int, Int32) -> Void
    typealias PlainDot = @convention(c) (UnsafeRawPointer?, UnsafePointer<Float>?, Int, Int32, UnsafeMutablePointer<Float>?,
                                         Int, Int32) -> Void

    /// The float-activation forms (int16's fallback is the AVX-512 ones): Q4_K and
    /// Q5_K rows given each activation row's 32-value sums.
    var q4K: SummedDot { self == .avx2 ? afina_dot_q4_k : afina_dot_q4_k_512 }
    var q5K: SummedDot { self == .avx2 ? afina_dot_q5_k : afina_dot_q5_k_512 }
    var q6K: PlainDot { self == .avx2 ? afina_dot_q6_k : afina_dot_q6_k_512 }

    /// Whether `type`'s rows take the AVX-512 Q4_1 form (float activations: int16 ones gained
    /// SmolLM2 nothing over it).
    func q4_1(for type: DType) -> Bool { type == .q4_1 && self != .avx2 }

    /// How many values share one int16 activation scale when `type`'s rows are dotted with
    /// int16 activations (256 for the k-quants, 32 for ggml's 32-value blocks), or nil where
    /// they meet float activations.
    func int16Block(for type: DType) -> Int? {
        guard self == .int16 else { return nil }
        switch type {
        case .q4_K, .q5_K, .q6_K: return 256
        case .q5_0, .q8_0: return 32
        default: return nil
        }
    }

    /// Whether `type`'s rows are dotted with int16 activations.
    func roundsActivations(for type: DType) -> Bool { int16Block(for: type) != nil }
}
