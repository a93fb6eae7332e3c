// Scoring a model on a task: every prompt through the chat template, greedy generation in
// batches, then exact match and chrF over the predictions.
import AfinaModels
import Foundation

/// How a model did on a task.
public struct TaskReport: Codable, Equatable, Sendable {
    /// A prediction that matched none of its references.
    public struct Miss: Codable, Equatable, Sendable {
        public var prompt: String
        public var prediction: String
        public var references: [String]
    }

    public var model: String
    public var count: Int
    /// Percentage (0-100) of exact matches.
    public var exactMatch: Double
    /// Corpus chrF (0-100).
    public var chrf: Double
    /// Generated tokens per second of wall time, prefill included.
    public var tokensPerSecond: Double
    /// The first few wrong predictions, in task order.
    public var misses: [Miss]
}

public struct TaskOptions: Sendable {
    /// Most tokens generated per answer.
    public var maxTokens: Int
    /// Prompts generated together.
    public var batchSize: Int
    /// How many wrong predictions the report keeps.
    public var keptMisses: Int

    public init(maxTokens: Int = 32, batchSize: Int = 16, keptMisses: Int = 5) {
        self.maxTokens = maxTokens
        self.batchSize = batchSize
        self.keptMisses = keptMisses
    }
}

public enum TaskEvaluator {
    /// Scores `loaded` on `examples`, each prompt rendered as a single user turn of its chat
    /// template. `progress(done, total)` is called after each batch.
    public static func evaluate(_ loaded: LoadedModel, name: String, on examples: [TaskExample],
                                options: TaskOptions = .init(),
                                progress: ((Int, Int) -> Void)? = nil) throws -> TaskReport {
        try evaluate(loaded.model, name: name, on: examples, options: options,
                     encodePrompt: { try loaded.chatPrompt(user: $0) },
                     decode: { loaded.tokenizer.decode($0) }, stopTokens: loaded.stopTokens, progress: progress)
    }

    /// Scores any causal LM, given how to turn a prompt into ids and ids into text.
    public static func evaluate(_ model: any CausalLM, name: String, on examples: [TaskExample],
                                options: TaskOptions = .init(), encodePrompt: (String) throws -> [Int32],
                                decode: @escaping ([Int32]) -> String, stopTokens: Set<Int32>,
                                progress: ((Int, Int) -> Void)? = nil) throws -> TaskReport {
        guard options.maxTokens > 0, options.batchSize > 0 else {
            throw EvalError.invalidArgument("max tokens and batch size must be positive")
        }
        let generator = Generator(model: model, decode: decode)
        var predictions: [String] = [], generatedTokens = 0
        let clock = ContinuousClock.now
        for start in stride(from: 0, to: examples.count, by: options.batchSize) {
            let batch = examples.indices.clamped(to: start..<start + options.batchSize)
            var requests: [GenerationRequest] = []
            for index in batch {
                let prompt: [Int32]
                do { prompt = try encodePrompt(examples[index].prompt) } catch {
                    throw EvalError.generationFailed("example \(index + 1): \(error)")
                }
                guard prompt.count < model.contextLength else {
                    throw EvalError.generationFailed("example \(index + 1): the prompt has \(prompt.count) tokens, "
                        + "the model's context holds \(model.contextLength)")
                }
                requests.append(GenerationRequest(prompt: prompt, maxTokens: options.maxTokens, stopTokens: stopTokens))
            }
            let results: [GenerationResult]
            do { results = try generator.generate(requests) } catch {
                throw EvalError.generationFailed("examples \(batch.lowerBound + 1)-\(batch.upperBound): \(error)")
            }
            predictions += results.map(\.text)
            generatedTokens += results.map(\.ids.count).reduce(0, +)
            progress?(predictions.count, examples.count)
        }
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let references = examples.map(\.references)
        let misses = zip(examples, predictions).filter { !ExactMatch.matches($1, references: $0.references) }
            .prefix(options.keptMisses)
            .map { TaskReport.Miss(prompt: $0.prompt, prediction: $1, references: $0.references) }
        return TaskReport(model: name, count: examples.count,
                          exactMatch: ExactMatch.score(predictions: predictions, references: references),
                          chrf: CHRF.corpusScore(hypotheses: predictions, references: references),
                          tokensPerSecond: seconds > 0 ? Double(generatedTokens) / seconds : 0, misses: misses)
    }
}
