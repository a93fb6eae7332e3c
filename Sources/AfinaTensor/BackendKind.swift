// The backends a user chooses by name (`backend:` in a training config, `--backend` on the
// command line), made in this one place so that recipes and commands never construct a
// backend themselves. Only the CPU today; a CUDA backend joins the list when it lands.

/// A backend by name.
public enum BackendKind: String, CaseIterable, Sendable {
    case cpu

    /// Every name, comma-separated, for help texts and errors.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The kind called `name`, or an error listing the known ones.
    public init(name: String) throws {
        guard let kind = BackendKind(rawValue: name) else { throw UnknownBackendError(name: name) }
        self = kind
    }

    /// A new backend of this kind whose large products take `precision` inputs where it can.
    /// Throws where the backend cannot run on this machine (a GPU backend without a GPU).
    public func makeBackend(precision: ProductPrecision = .fp32) throws -> any TrainingBackend {
        switch self {
        case .cpu: CPUBackend(precision: precision)
        }
    }
}

/// A backend name that is not one of `BackendKind`'s.
public struct UnknownBackendError: Error, Equatable, CustomStringConvertible {
    public let name: String

    public var description: String { "unknown backend '\(name)' (known: \(BackendKind.names))" }
}
