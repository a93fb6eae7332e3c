// afina tokenize: text to token ids with a model's tokenizer.
import AfinaHub
import AfinaModels
import ArgumentParser
import Foundation

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Turn text into token ids.")

    @Option(help: "A pulled model name, a .gguf file or a Hugging Face directory.")
    var model: String = ModelCatalog.defaultModel

    @Flag(help: "Print {\"ids\":[...]}.")
    var json = false

    @Argument(help: "The text (special tokens such as <|im_start|> are recognised).")
    var text: String

    func run() throws {
        let tokenizer = try ModelLoader.loadNetwork(model).tokenizer
        let ids = tokenizer.encode(text)
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: ["ids": ids.map(Int.init)]), as: UTF8.self))
        } else {
            for id in ids { print(id, String(reflecting: tokenizer.decode([id]))) }
        }
    }
}
