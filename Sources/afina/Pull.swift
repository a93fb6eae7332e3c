// afina pull NAME: fetch a cataloged model into the local cache.
import AfinaHub
import ArgumentParser

struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download a model into the cache (~/.cache/afina/models, or $AFINA_CACHE/models).",
        discussion: "Models: " + ModelCatalog.entries.map(\.name).joined(separator: ", "))

    @Argument(help: "Model name (default: \(ModelCatalog.defaultModel)).")
    var name: String = ModelCatalog.defaultModel

    func run() throws {
        guard let entry = ModelCatalog.entry(named: name) else {
            throw ValidationError("unknown model '\(name)'; known: \(ModelCatalog.entries.map(\.name).joined(separator: ", "))")
        }
        let url = try ModelStore.standard().pull(entry) { print("afina pull: \($0)") }
        print(url.path)
    }
}
