// OpenBLAS picks its kernel family (its "core") once, when the library loads, from the CPU
// table of the build. Debian's 0.3.21 does not know the newer Intel Xeons and falls back to
// "Prescott", its generic SSE3 kernels: there `afina bench train --method full` ran at 31
// tokens/s instead of 131 with the right family (MACHINE-NOTES.md). The choice can only be
// made before the library loads, through OPENBLAS_CORETYPE, so the afina command restarts
// itself once with it set when the family in use is weaker than the CPU allows. That includes
// an OPENBLAS_CORETYPE already set to a weaker family: the AMD EPYC Zen 5 machines set
// Haswell in their environment, which halves sgemm there (full fine-tuning 230 -> 355
// tokens/s with SkylakeX; every test passes with either). AFINA_KEEP_OPENBLAS_CORETYPE=1 keeps
// the environment's choice.
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

    /// Set in the restarted process to what OPENBLAS_CORETYPE was before ("" when unset): it
    /// stops a second restart and lets benchmarks say what was replaced.
    static let replacedKey = "AFINA_OPENBLAS_CORETYPE_REPLACED"

    /// The value for OPENBLAS_CORETYPE that gives a CPU with `features` its best kernel family
    /// where `current` is of a weaker tier; nil where `current` is already the best tier, after
    /// a restart, or where AFINA_KEEP_OPENBLAS_CORETYPE asks to keep the environment's choice.
    static func replacementCore(current: String, features: CPUFeatures, environment: [String: String]) -> String? {
        guard environment[replacedKey] == nil, environment["AFINA_KEEP_OPENBLAS_CORETYPE"] == nil else { return nil }
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
        setenv(replacedKey, environment["OPENBLAS_CORETYPE"] ?? "", 1)
        setenv("OPENBLAS_CORETYPE", best, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }

    /// A line for benchmarks: the library, the family in use, and how it was chosen.
    public static var summary: String {
        let environment = ProcessInfo.processInfo.environment
        var chosen = environment["OPENBLAS_CORETYPE"].map { " (OPENBLAS_CORETYPE=\($0)" } ?? ""
        if let replaced = environment[replacedKey] {
            chosen += replaced.isEmpty ? ", set by afina" : ", set by afina in place of \(replaced)"
        }
        return "\(version), \(core) kernels\(chosen)\(chosen.isEmpty ? "" : ")")"
    }
}
