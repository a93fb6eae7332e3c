// The instruction sets this CPU offers (and its OS allows), read once. Kernels are chosen
// from these at run time, never from the build machine: the package is compiled for an
// AVX2 + FMA baseline, and sessions land on AMD (AVX-512 BF16) and Intel (AMX) CPUs alike.
import CAfinaKernels
import Foundation

public struct CPUFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let avx2 = CPUFeatures(rawValue: Int32(AFINA_CPU_AVX2))
    public static let fma = CPUFeatures(rawValue: Int32(AFINA_CPU_FMA))
    public static let avx512f = CPUFeatures(rawValue: Int32(AFINA_CPU_AVX512F))
    public static let avx512bw = CPUFeatures(rawValue: Int32(AFINA_CPU_AVX512BW))
    public static let avx512vnni = CPUFeatures(rawValue: Int32(AFINA_CPU_AVX512VNNI))
    public static let avx512bf16 = CPUFeatures(rawValue: Int32(AFINA_CPU_AVX512BF16))
    public static let amxBF16 = CPUFeatures(rawValue: Int32(AFINA_CPU_AMX_BF16))
    public static let amxInt8 = CPUFeatures(rawValue: Int32(AFINA_CPU_AMX_INT8))

    /// This machine's features (AMX only where the OS granted the tile state).
    public static let current = CPUFeatures(rawValue: afina_cpu_features())

    /// The CPU's model name as Linux reports it ("AMD EPYC 9R45", "Intel(R) Xeon(R) ..."),
    /// or "unknown CPU".
    public static let modelName: String = {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line?.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    }()

    private static let names: [(CPUFeatures, String)] = [
        (.avx2, "avx2"), (.fma, "fma"), (.avx512f, "avx512f"), (.avx512bw, "avx512bw"),
        (.avx512vnni, "avx512vnni"), (.avx512bf16, "avx512bf16"), (.amxBF16, "amx-bf16"), (.amxInt8, "amx-int8"),
    ]

    /// The features by name, space-separated ("avx2 fma avx512f ...").
    public var description: String { Self.names.filter { contains($0.0) }.map(\.1).joined(separator: " ") }
}
