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
        discussion: """
            With --chat the message is rendered through the model's own chat template. For an \
            encoder-decoder (T5, Flan-T5) the prompt is the encoder's input and the text is the \
            decoder's output. --beams N searches N beams as transformers' generate(num_beams=N) \
            does (early_stopping off), instead of sampling.
            """)

    @Option(help: "A pulled model name, a .gguf file or a Hugging Face directory.")
    var model: String = ModelCatalog.defaultModel
    @Option(help: "A LoRA adapter directory in peft's layout (as `afina train` writes), applied unmerged.")
    var adapter: String?
    @Option(help: "Raw prompt text, tokenized as is.") var prompt: String?
    @Option(help: "A user message, rendered with the chat template.") var chat: String?
    @Option(help: "System message for --chat.") var system: String?
    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.") var maxTokens = 128
    @Option(help: "Stop when this text appears (repeatable).") var stop: [String] = []
    @Option(help: "Beam search with this many beams (1: greedy or sampling).") var beams = 1
    @Option(name: .customLong("length-penalty"), help: "Beam scores are divided by length^this (beam search only).")
    var lengthPenalty: Float = 1
    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var backendOptions: BackendOptions
    @Flag(help: "Print one JSON object with ids, text and top-5 log-probabilities.") var json = false

    func validate() throws {
        guard (prompt == nil) != (chat == nil) else { throw ValidationError("give exactly one of --prompt and --chat") }
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        if system != nil && chat == nil { throw ValidationError("--system needs --chat") }
        try sampling.parameters.validate()
        guard beams > 0 else { throw ValidationError("--beams must be positive") }
        if beams > 1 && (sampling.parameters != SamplingParameters() || !stop.isEmpty) {
            throw ValidationError("--beams searches deterministically: leave out the sampling options and --stop")
        }
        guard lengthPenalty.isFinite else { throw ValidationError("--length-penalty must be a number") }
    }

    func run() throws {
        let loaded = try ModelLoader.load(model, adapter: adapter.map { URL(fileURLWithPath: $0) },
                                          backend: backendOptions.make())
        let promptIDs = try chat.map { try loaded.chatPrompt(user: $0, system: system) }
            ?? loaded.tokenizer.encode(prompt!)
        if beams > 1 {
            let best = try BeamSearch(model: loaded.model, beams: beams, lengthPenalty: lengthPenalty)
                .generate([promptIDs], maxTokens: maxTokens, stopTokens: loaded.stopTokens)[0]
            let ids = best.ids.last.map(loaded.stopTokens.contains) == true ? Array(best.ids.dropLast()) : best.ids
            let text = loaded.tokenizer.decode(ids)
            return print(json ? try jsonString(BeamOutput(prompt_ids: promptIDs, ids: best.ids, text: text, score: best.score)) : text)
        }
        let request = GenerationRequest(prompt: promptIDs, maxTokens: maxTokens, sampling: sampling.parameters,
                                        stopTokens: loaded.stopTokens, stopStrings: stop, topLogprobs: json ? 5 : 0)
        let generator = Generator(model: loaded.model, decode: { loaded.tokenizer.decode($0) })
        let result = try generator.generate([request], onText: json ? nil : { _, piece in
            FileHandle.standardOutput.write(Data(piece.utf8))
        })[0]
        if json {
            print(try jsonString(Output(prompt_ids: result.promptIDs, ids: result.ids, text: result.text,
                                        logprobs: result.logprobs)))
        } else {
            print()
        }
    }

    struct Output: Encodable {
        let prompt_ids: [Int32]
        let ids: [Int32]
        let text: String
        let logprobs: [TokenLogprob]
    }

    /// Beam search's best output and its length-penalized score.
    struct BeamOutput: Encodable {
        let prompt_ids: [Int32]
        let ids: [Int32]
        let text: String
        let score: Float
    }

    func jsonString(_ output: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}
