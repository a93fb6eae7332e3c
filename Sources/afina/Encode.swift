// afina embed / afina classify: sentence embeddings and class predictions from an encoder
// (a BERT-family Hugging Face directory, a pulled one such as all-minilm-l6-v2, or a
// classifier's adapter directory).
import AfinaData
import AfinaModels
import ArgumentParser
import Foundation

/// The model and texts both commands take.
struct EncoderInputOptions: ParsableArguments {
    @Option(help: "An encoder: a pulled name (all-minilm-l6-v2), a Hugging Face directory, or an adapter directory.")
    var model: String
    @Option(help: "A LoRA adapter directory in peft's layout, applied unmerged.") var adapter: String?
    @Option(help: ArgumentHelp("JSONL of {\"text\"} records (classify: optional \"text_pair\") instead of TEXT arguments.",
                               valueName: "file"))
    var input: String?
    @Option(help: ArgumentHelp("With --input: write one JSON line per record here instead of printing.", valueName: "file"))
    var out: String?
    @OptionGroup var backendOptions: BackendOptions
    @Argument(help: "Texts.") var texts: [String] = []

    func validate() throws {
        if (input == nil) == texts.isEmpty { throw ValidationError("give TEXT arguments or --input FILE.jsonl, not both") }
        if out != nil && input == nil { throw ValidationError("--out goes with --input") }
    }

    func session() throws -> EncoderSession {
        try EncoderSession(ModelLoader.loadNetwork(model, adapter: adapter.map { URL(fileURLWithPath: $0) },
                                                   backend: try backendOptions.make()))
    }

    /// The texts and pairs to run: the arguments, or the records of --input.
    func records() throws -> [TextRecord] {
        guard let input else { return texts.map { TextRecord(text: $0) } }
        return try TextRecord.load(from: URL(fileURLWithPath: input), shape: .text)
    }

    /// One JSON line per record into --out, or one JSON object on stdout.
    func write<Item: Encodable>(_ items: [Item], key: String, asJSON: Bool, plain: (Int) -> String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let out {
            let lines = try items.map { String(decoding: try encoder.encode([key: $0]), as: UTF8.self) }
            try (lines.joined(separator: "\n") + "\n").write(toFile: out, atomically: true, encoding: .utf8)
            printError("wrote \(items.count) lines to \(out)")
        } else if asJSON {
            print(String(decoding: try encoder.encode([key + "s": items]), as: UTF8.self))
        } else {
            for i in items.indices { print(plain(i)) }
        }
    }
}

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sentence embeddings from an encoder, pooled and normalized as the checkpoint says.",
        discussion: """
            Examples:
              afina embed --model all-minilm-l6-v2 "A man is playing a guitar." "Someone plays music."
              afina embed --model all-minilm-l6-v2 --json "A sentence."     # {"embeddings": [[...]]}
              afina embed --model all-minilm-l6-v2 --input texts.jsonl --out embeddings.jsonl
            """)

    @OptionGroup var options: EncoderInputOptions
    @Flag(help: "Print {\"embeddings\": [[...], ...]}.") var json = false

    func run() throws {
        let session = try options.session()
        let records = try options.records()
        let (embeddings, truncated) = try session.embed(records.map(\.text))
        if truncated > 0 { printError("note: \(truncated) texts were longer than \(session.maxLength) tokens and were truncated") }
        try options.write(embeddings, key: "embedding", asJSON: json) { i in
            let norm = embeddings[i].reduce(0) { $0 + $1 * $1 }.squareRoot()
            let head = embeddings[i].prefix(4).map { String(format: "%.4f", $0) }.joined(separator: ", ")
            return "\(embeddings[i].count) dims, norm \(String(format: "%.3f", norm)), [\(head), ...]  \(records[i].text)"
        }
    }
}

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Class predictions of a sequence classifier (a model or adapter that `afina train` wrote with task: classification).",
        discussion: """
            Examples:
              afina classify --model runs/sentiment/model "What a lovely day" "The service was slow"
              afina classify --model runs/sentiment-lora/adapter --json "What a lovely day"
              afina classify --model runs/sentiment/model --input test.jsonl --out predictions.jsonl
            --json prints {"predictions": [{"label": ..., "score": ...}]}, score the label's probability.
            """)

    @OptionGroup var options: EncoderInputOptions
    @Flag(help: "Print {\"predictions\": [{\"label\", \"score\"}, ...]}.") var json = false

    func run() throws {
        let session = try options.session()
        let records = try options.records()
        let (predictions, truncated) = try session.classify(records.map(\.text), pairs: records.map(\.textPair))
        if truncated > 0 { printError("note: \(truncated) texts were longer than \(session.maxLength) tokens and were truncated") }
        try options.write(predictions, key: "prediction", asJSON: json) { i in
            "\(predictions[i].label)\t\(String(format: "%.3f", predictions[i].score))\t\(records[i].text)"
        }
    }
}
