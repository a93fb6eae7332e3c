// afina generate: text from a prompt or a chat turn, streamed to the terminal.
import AfinaHub
import AfinaModels
import ArgumentParser
import Foundation

struct SamplingOptions: ParsableArguments {
    @Option(help: "Sampling temperature; 0 is greedy.") var temperature: Float = 0
    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0: off).") var topK = 0
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold (1: off).") var topP: Float = 1
    @Option(name: .customLong("min-p"), help: "Drop tokens below min-p times the top probability (0: off).")
    var minP: Float = 0
    @Option(name: .customLong("repetition-penalty"), help: "Penalty for tokens already seen (1: off).")
    var repetitionPenalty: Float = 1
    @Option(help: "Random seed.") var seed: UInt64 = 0

    var parameters: SamplingParameters {
        SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP,
                           repetitionPenalty: repetitionPenalty, seed: seed)
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text from a raw prompt or a chat message.",
        discussion: "With --chat the message is rendered through the model's own chat template.")

    @Option(help: "A pulled model name, a .gguf file or a Hugging Face directory.")
    var model: String = ModelCatalog.defaultModel
    @Option(help: "A LoRA adapter directory in peft's layout (as `afina train` writes), applied unmerged.")
    var adapter: String?
    @Option(help: "Raw prompt text, tokenized as is.") var prompt: String?
    @Option(help: "A user message, rendered with the chat template.") var chat: String?
    @Option(help: "System message for --chat.") var system: String?
    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.") var maxTokens = 128
    @Option(help: "Stop when this text appears (repeatable).") var stop: [String] = []
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var backendOptions: BackendOptions
    @Flag(help: "Print one JSON object with ids, text and top-5 log-probabilities.") var json = false

    func validate() throws {
        guard (prompt == nil) != (chat == nil) else { throw ValidationError("give exactly one of --prompt and --chat") }
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        if system != nil && chat == nil { throw ValidationError("--system needs --chat") }
        try sampling.parameters.validate()
    }

    func run() throws {
        let loaded = try ModelLoader.load(model, adapter: adapter.map { URL(fileURLWithPath: $0) },
                                          backend: backendOptions.make())
        let promptIDs = try chat.map { try loaded.chatPrompt(user: $0, system: system) }
            ?? loaded.tokenizer.encode(prompt!)
        let request = GenerationRequest(prompt: promptIDs, maxTokens: maxTokens, sampling: sampling.parameters,
                                        stopTokens: loaded.stopTokens, stopStrings: stop, topLogprobs: json ? 5 : 0)
        let generator = Generator(model: loaded.model, decode: { loaded.tokenizer.decode($0) })
        let result = try generator.generate([request], onText: json ? nil : { _, piece in
            FileHandle.standardOutput.write(Data(piece.utf8))
        })[0]
        if json {
            print(try jsonString(result))
        } else {
            print()
        }
    }

    func jsonString(_ r: GenerationResult) throws -> String {
        struct Output: Encodable {
            let prompt_ids: [Int32]
            let ids: [Int32]
            let text: String
            let logprobs: [TokenLogprob]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return String(decoding: try encoder.encode(Output(prompt_ids: r.promptIDs, ids: r.ids, text: r.text,
                                                          logprobs: r.logprobs)), as: UTF8.self)
    }
}
