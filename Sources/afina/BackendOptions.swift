// --backend, shared by every command that runs a model, so the CLI chooses where models run
// in one place. `afina train` and `distill cache` pass it on as the config's `backend` key.
import AfinaTensor
import ArgumentParser

struct BackendOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where models run: \(BackendKind.names) (default: cpu).", valueName: "name"),
            transform: BackendKind.init(name:))
    var backend: BackendKind?

    /// The chosen kind; nil only tells a config-driven command to keep the config's.
    var kind: BackendKind { backend ?? .cpu }

    /// A new backend of the chosen kind.
    func make(precision: ProductPrecision = .fp32) throws -> any TrainingBackend {
        try kind.makeBackend(precision: precision)
    }

    /// The `key=value` override that puts --backend over a training config's `backend:`.
    var configOverrides: [String] { backend.map { ["backend=\($0.rawValue)"] } ?? [] }
}
