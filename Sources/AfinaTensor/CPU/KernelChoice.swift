// Kernel families chosen by the CPU at run time (BF16Kernel, DecodeDotKernel): the fastest one
// this CPU runs, or the one an environment variable names, for A/B comparisons.
import Foundation

protocol KernelChoice: RawRepresentable<String>, CaseIterable {
    /// Whether this CPU (and its OS) runs the kernel.
    var isAvailable: Bool { get }
}

extension KernelChoice {
    /// `fastest`, or the kernel `variable` names where this CPU runs it; a name it cannot run
    /// is reported on stderr, naming the ones it can (`what` says which family).
    static func chosen(fastest: Self, variable: String, what: String) -> Self {
        guard let name = ProcessInfo.processInfo.environment[variable] else { return fastest }
        if let asked = Self(rawValue: name), asked.isAvailable { return asked }
        let runnable = allCases.filter(\.isAvailable).map(\.rawValue).joined(separator: ", ")
        let warning = "\(variable)=\(name) is not a \(what) kernel this CPU runs (\(runnable)): using \(fastest.rawValue)\n"
        FileHandle.standardError.write(Data(warning.utf8))
        return fastest
    }
}
