// Perplexity: exp of the mean negative log-likelihood per target token, with the training
// loss (summed cross-entropy, no gradients) on the sequences `afina train` would build from
// the same file, so a model's perplexity here and its validation loss agree.
//   - JSONL (`.jsonl` / `.json`): any training record shape through ExampleRenderer:
//     conversations and prompt/completion score the answer tokens (and end-of-turn), text
//     records every token after the first (EOS included).
//   - Any other file is plain text: tokenized whole, then cut into windows of `maxLength`
//     tokens that overlap by one, so every token after the file's first is scored exactly
//     once, each with up to maxLength - 1 tokens of context.
// Under mpirun each rank scores a contiguous share of the passes.
import AfinaData
import AfinaDistributed
import AfinaModels
import Foundation

/// A model's perplexity on a set of sequences.
public struct PerplexityReport: Codable, Equatable, Sendable {
    public var sequences: Int
    /// Target tokens scored.
    public var tokens: Int
    /// Mean cross-entropy per target token, in nats.
    public var meanNLL: Double
    /// Scored tokens per second of wall time.
    public var tokensPerSecond: Double
    /// Problems worth a warning (truncated or dropped records).
    public var notes: [String]

    public var perplexity: Double { exp(meanNLL) }

    public init(sequences: Int, tokens: Int, meanNLL: Double, tokensPerSecond: Double, notes: [String] = []) {
        (self.sequences, self.tokens, self.meanNLL, self.tokensPerSecond, self.notes) =
            (sequences, tokens, meanNLL, tokensPerSecond, notes)
    }
}

public enum Perplexity {
    /// Mean NLL over the target tokens of `sequences`, in passes of at most `tokensPerPass`
    /// tokens (whole sequences; one longer sequence goes alone). `progress(done, total)`
    /// counts sequences.
    public static func evaluate(_ model: any TrainableModel, sequences: [TrainingSequence], tokensPerPass: Int = 2048,
                                group: ProcessGroup? = nil, progress: ((Int, Int) -> Void)? = nil) throws -> PerplexityReport {
        let count = sequences.map(\.targetCount).reduce(0, +)
        guard count > 0 else { throw EvalError.invalidArgument("no target tokens to score") }
        let clock = ContinuousClock.now
        let passes = Passes.ranges(sizes: sequences.map(\.tokens.count), limit: tokensPerPass)
        var losses: [Double] = []
        for range in passes[group?.share(of: passes.count) ?? passes.indices] {
            losses.append(model.loss(Array(sequences[range]), gradients: nil, lossScale: 1, dropoutSeed: 0, recompute: false))
            progress?(range.upperBound, sequences.count)
        }
        // Every rank's pass losses, summed in pass order as one process sums them.
        if let group { losses = group.allGather(concatenating: losses) }
        let total = losses.reduce(0, +)
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return PerplexityReport(sequences: sequences.count, tokens: count, meanNLL: total / Double(count),
                                tokensPerSecond: seconds > 0 ? Double(count) / seconds : 0)
    }

    /// The perplexity of `loaded` on the file at `path` (see the header for how files become
    /// sequences), each at most `maxLength` tokens (default: the model's context, up to 2048).
    public static func evaluate(_ loaded: LoadedModel, file path: String, maxLength: Int? = nil, group: ProcessGroup? = nil,
                                progress: ((Int, Int) -> Void)? = nil) throws -> PerplexityReport {
        guard let model = loaded.model as? any TrainableModel else {
            throw EvalError.invalidArgument("\(loaded.info.architecture) models cannot compute a loss yet")
        }
        let length = maxLength ?? min(model.contextLength, 2048)
        let (sequences, notes) = try self.sequences(file: path, loaded: loaded, maxLength: length)
        var report = try evaluate(model, sequences: sequences, tokensPerPass: max(length, 2048), group: group,
                                  progress: progress)
        report.notes = notes
        return report
    }

    /// The scored sequences of a file, with warnings about truncated or dropped records.
    public static func sequences(file path: String, loaded: LoadedModel,
                                 maxLength: Int) throws -> ([TrainingSequence], [String]) {
        let url = URL(fileURLWithPath: path)
        if ["jsonl", "json"].contains(url.pathExtension.lowercased()) {
            let renderer = try ExampleRenderer(tokenizer: loaded.tokenizer, chatTemplate: loaded.chatTemplate,
                                               maxLength: maxLength)
            let rendered = try renderer.render(file: url)
            var notes: [String] = []
            if rendered.truncated > 0 {
                notes.append("\(rendered.truncated) records of \(path) were longer than \(maxLength) tokens and were truncated")
            }
            if rendered.dropped > 0 { notes.append("\(rendered.dropped) records of \(path) had no target tokens left and were skipped") }
            guard !rendered.examples.isEmpty else { throw EvalError.emptyTask(path: path) }
            return (rendered.examples.map { TrainingSequence(tokens: $0.tokens, targets: $0.targets) }, notes)
        }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw EvalError.unreadable(path: path, message: error.localizedDescription)
        }
        let windows = textWindows(loaded.tokenizer.encode(text), maxLength: maxLength)
        guard !windows.isEmpty else { throw EvalError.emptyTask(path: path) }
        return (windows, [])
    }

    /// Windows of at most `maxLength` tokens overlapping by one token; each scores all its
    /// tokens but the first, so together they score every token after the first once.
    public static func textWindows(_ tokens: [Int32], maxLength: Int) -> [TrainingSequence] {
        precondition(maxLength >= 2, "a window needs a context token and a target")
        var windows: [TrainingSequence] = [], start = 0
        while start + 1 < tokens.count {
            let end = min(start + maxLength, tokens.count)
            windows.append(TrainingSequence(tokens: Array(tokens[start..<end]),
                                            targets: [false] + Array(repeating: true, count: end - start - 1)))
            start = end - 1
        }
        return windows
    }
}
