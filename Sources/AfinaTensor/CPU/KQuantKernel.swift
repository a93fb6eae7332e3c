// The fused k-quant row dots decoding runs (kquant_dot.c): 16-lane AVX-512 forms where the
// CPU has AVX-512 (on the Zen 5 EPYC they decode Qwen2.5-Coder 1.5B Q4_K_M faster than the
// 8-lane ones), else AVX2. AFINA_KQUANT_KERNEL=avx2 picks the AVX2 forms for comparisons.
import CAfinaKernels

public enum KQuantKernel: String, Sendable, CaseIterable, KernelChoice {
    case avx2, avx512

    public var isAvailable: Bool {
        CPUFeatures.current.isSuperset(of: self == .avx512 ? [.avx512f, .avx512bw] : [.avx2, .fma])
    }

    /// The widest form here, or the one AFINA_KQUANT_KERNEL names where this CPU runs it.
    public static let best = chosen(fastest: avx512.isAvailable ? .avx512 : .avx2, variable: "AFINA_KQUANT_KERNEL", what: "k-quant")

    typealias SummedDot = @convention(c) (UnsafeRawPointer?, UnsafePointer<Float>?, Int, UnsafePointer<Float>?, Int32,
                                          UnsafeMutablePointer<Float>?, Int, Int32) -> Void
    typealias PlainDot = @convention(c) (UnsafeRawPointer?, UnsafePointer<Float>?, Int, Int32, UnsafeMutablePointer<Float>?,
                                         Int, Int32) -> Void

    /// Q4_K and Q5_K rows, given each activation row's 32-value sums.
    var q4K: SummedDot { self == .avx512 ? afina_dot_q4_k_512 : afina_dot_q4_k }
    var q5K: SummedDot { self == .avx512 ? afina_dot_q5_k_512 : afina_dot_q5_k }
    var q6K: PlainDot { self == .avx512 ? afina_dot_q6_k_512 : afina_dot_q6_k }
}
