// OpenBLAS picks its kernel family (its "core") once, when the library loads, from the CPU
// table of the build. Debian's 0.3.21 does not know the newer Intel Xeons and falls back to
// "Prescott", its generic SSE3 kernels: there `afina bench train --method full` ran at 31
// tokens/s instead of 131 with the right family (MACHINE-NOTES.md). The choice can only be
// made before the library loads, through OPENBLAS_CORETYPE, so the afina command restarts
// itself once with it set when the family in use is weaker than the CPU allows.
import COpenBLAS
import Foundation

public enum BLASKernels {
    /// The kernel family OpenBLAS runs in this process ("SkylakeX", "Haswell", "Prescott"...).
    public static var core: String { String(cString: openblas_get_corename()) }

    /// "OpenBLAS 0.3.21 ..." as the library reports its build.
    public static var version: String {
        String(cString: openblas_get_config()).split(separator: " ").prefix(2).joined(separator: " ")
    }

    /// Kernel families by the instructions their sgemm uses: 3 AVX-512, 2 AVX2 + FMA,
    /// 1 AVX; anything else (Prescott, Core2, Nehalem, ...) is 0.
    private static let tiers: [String: Int] = [
        "SapphireRapids": 3, "Cooperlake": 3, "SkylakeX": 3,
        "Zen": 2, "Haswell": 2, "Sandybridge": 1,
    ]

    /// The value for OPENBLAS_CORETYPE that gives a CPU with `features` kernels at least as
    /// good as `current`'s, or nil where `current` is already the best tier, or where the
    /// user chose a family themselves (`environment` has OPENBLAS_CORETYPE).
    static func replacementCore(current: String, features: CPUFeatures, environment: [String: String]) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        let (best, tier): (String, Int) = features.isSuperset(of: [.avx512f, .avx512bw]) ? ("SkylakeX", 3)
            : features.isSuperset(of: [.avx2, .fma]) ? ("Haswell", 2) : ("", 0)
        return tier > tiers[current, default: 0] ? best : nil
    }

    /// Restarts this program (same arguments, same process id) with OPENBLAS_CORETYPE set
    /// where OpenBLAS chose a weaker family than this CPU runs; returns where nothing needs
    /// changing or the restart failed (the program then goes on with the kernels it has).
    public static func restartWithBestCoreIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard let best = replacementCore(current: core, features: .current, environment: environment) else { return }
        setenv("OPENBLAS_CORETYPE", best, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }

    /// A line for benchmarks: the library, the family in use, and whether the user set it.
    public static var summary: String {
        let chosen = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { " (OPENBLAS_CORETYPE=\($0))" } ?? ""
        return "\(version), \(core) kernels\(chosen)"
    }
}
