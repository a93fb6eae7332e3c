// afina info MODEL: what a model file is.
import AfinaHub
import AfinaModels
import ArgumentParser

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a model's architecture, size, tensor types, context length and chat template.")

    @Argument(help: "A pulled model name, a .gguf file or a Hugging Face directory.")
    var model: String = ModelCatalog.defaultModel

    func run() throws {
        let info = try ModelLoader.loadNetwork(model).info
        let types = info.tensorTypes.sorted { $0.value > $1.value }.map { "\($0.key) x\($0.value)" }
        for (key, value) in [("path", info.path), ("format", info.format), ("architecture", info.architecture),
                             ("parameters", "\(info.parameterCount) (\(humanCount(info.parameterCount)))"),
                             ("layers", "\(info.layers)"), ("vocabulary", "\(info.vocabularySize)"),
                             ("context length", "\(info.contextLength)"), ("tensor types", types.joined(separator: ", ")),
                             ("chat template", info.hasChatTemplate ? "yes" : "no")] {
            print(key.padding(toLength: 15, withPad: " ", startingAt: 0) + value)
        }
    }
}

func humanCount(_ n: Int) -> String {
    n >= 1_000_000_000 ? "\(Double(n / 10_000_000) / 100)B" : "\(Double(n / 100_000) / 10)M"
}
