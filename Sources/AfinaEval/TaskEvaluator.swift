// Scoring a model on a task: every conversation through the chat template, greedy
// generation in batches, then the chosen metrics over the predictions, each with a
// bootstrap confidence interval. Under mpirun each rank generates a contiguous share of the
// batches one process would (so each answer rounds alike) and all ranks score all answers.
import AfinaDistributed
import AfinaModels
import AfinaTemplates
import Foundation

/// How a model did on a task (and, with `afina eval --perplexity`, on a text).
public struct TaskReport: Codable, Equatable, Sendable {
    /// A prediction that matched none of its references.
    public struct Miss: Codable, Equatable, Sendable {
        public var prompt: String
        public var prediction: String
        public var references: [String]
    }

    public var model: String
    /// Examples scored (0 when only perplexity was measured).
    public var count: Int
    /// The chosen metrics, in the order asked for.
    public var scores: [MetricScore]
    /// Generated tokens per second of wall time, prefill included.
    public var tokensPerSecond: Double
    /// The first few wrong predictions, in task order.
    public var misses: [Miss]
    /// Peak resident memory while this model was loaded and evaluated (see `PeakMemory`).
    public var peakResidentBytes: Int?
    public var perplexity: PerplexityReport?

    public init(model: String, count: Int, scores: [MetricScore], tokensPerSecond: Double, misses: [Miss] = [],
                peakResidentBytes: Int? = nil, perplexity: PerplexityReport? = nil) {
        (self.model, self.count, self.scores, self.tokensPerSecond, self.misses) =
            (model, count, scores, tokensPerSecond, misses)
        (self.peakResidentBytes, self.perplexity) = (peakResidentBytes, perplexity)
    }

    public subscript(_ metric: Metric) -> MetricScore? { scores.first { $0.metric == metric } }
    /// Percentage (0-100) of exact matches, when measured.
    public var exactMatch: Double? { self[.exactMatch]?.value }
    /// Corpus chrF (0-100), when measured.
    public var chrf: Double? { self[.chrf]?.value }
}

public struct TaskOptions: Sendable {
    /// Most tokens generated per answer.
    public var maxTokens: Int
    /// Prompts generated together.
    public var batchSize: Int
    /// How many wrong predictions the report keeps.
    public var keptMisses: Int
    public var metrics: [Metric]
    /// Confidence intervals; nil computes point estimates only.
    public var bootstrap: Bootstrap?
    /// The processes sharing the prompts (mpirun), or nil for one process.
    public var group: ProcessGroup?

    public init(maxTokens: Int = 32, batchSize: Int = 16, keptMisses: Int = 5,
                metrics: [Metric] = [.exactMatch, .chrf], bootstrap: Bootstrap? = Bootstrap(), group: ProcessGroup? = nil) {
        (self.maxTokens, self.batchSize, self.keptMisses, self.metrics, self.bootstrap) =
            (maxTokens, batchSize, keptMisses, metrics, bootstrap)
        self.group = group
    }
}

public enum TaskEvaluator {
    /// Scores `loaded` on `examples`, each conversation rendered by its chat template (or,
    /// for a model without one, its turns' contents each on its own line, so the answer ends at
    /// the first newline, as the solved examples' answers do). `progress(done, total)` is
    /// called after each batch.
    public static func evaluate(_ loaded: LoadedModel, name: String, on examples: [TaskExample],
                                options: TaskOptions = .init(),
                                progress: ((Int, Int) -> Void)? = nil) throws -> TaskReport {
        try evaluate(loaded.model, name: name, on: examples, options: options,
                     encodeConversation: { try prompt(loaded, $0) },
                     decode: { loaded.tokenizer.decode($0) }, stopTokens: loaded.stopTokens,
                     stopStrings: loaded.chatTemplate == nil ? ["\n"] : [], progress: progress)
    }

    /// The ids `loaded` answers `messages` from.
    public static func prompt(_ loaded: LoadedModel, _ messages: [ChatMessage]) throws -> [Int32] {
        guard loaded.chatTemplate != nil else {
            return loaded.tokenizer.encode(messages.map(\.content).joined(separator: "\n") + "\n")
        }
        return loaded.tokenizer.encode(try loaded.renderChat(messages, addGenerationPrompt: true), addSpecial: false)
    }

    /// Scores any causal LM given how to turn a prompt into ids: the contents of an
    /// example's turns (more than one with few-shot) are concatenated.
    public static func evaluate(_ model: any CausalLM, name: String, on examples: [TaskExample],
                                options: TaskOptions = .init(), encodePrompt: @escaping (String) throws -> [Int32],
                                decode: @escaping ([Int32]) -> String, stopTokens: Set<Int32>,
                                progress: ((Int, Int) -> Void)? = nil) throws -> TaskReport {
        try evaluate(model, name: name, on: examples, options: options,
                     encodeConversation: { try encodePrompt($0.map(\.content).joined()) },
                     decode: decode, stopTokens: stopTokens, progress: progress)
    }

    /// Scores any causal LM, given how to turn a conversation into ids and ids into text.
    public static func evaluate(_ model: any CausalLM, name: String, on examples: [TaskExample],
                                options: TaskOptions = .init(), encodeConversation: ([ChatMessage]) throws -> [Int32],
                                decode: @escaping ([Int32]) -> String, stopTokens: Set<Int32>, stopStrings: [String] = [],
                                progress: ((Int, Int) -> Void)? = nil) throws -> TaskReport {
        guard options.maxTokens > 0, options.batchSize > 0 else {
            throw EvalError.invalidArgument("max tokens and batch size must be positive")
        }
        let generator = Generator(model: model, decode: decode)
        var predictions: [String] = [], generatedTokens = 0
        let clock = ContinuousClock.now
        let starts = Array(stride(from: 0, to: examples.count, by: options.batchSize))
        for start in starts[options.group?.share(of: starts.count) ?? starts.indices] {
            let batch = examples.indices.clamped(to: start..<start + options.batchSize)
            var requests: [GenerationRequest] = []
            for index in batch {
                let prompt: [Int32]
                do { prompt = try encodeConversation(examples[index].messages) } catch {
                    throw EvalError.generationFailed("example \(index + 1): \(error)")
                }
                guard prompt.count < model.contextLength else {
                    throw EvalError.generationFailed("example \(index + 1): the prompt has \(prompt.count) tokens, "
                        + "the model's context holds \(model.contextLength)")
                }
                requests.append(GenerationRequest(prompt: prompt, maxTokens: options.maxTokens, stopTokens: stopTokens,
                                                  stopStrings: stopStrings))
            }
            let results: [GenerationResult]
            do { results = try generator.generate(requests) } catch {
                throw EvalError.generationFailed("examples \(batch.lowerBound + 1)-\(batch.upperBound): \(error)")
            }
            predictions += results.map(\.text)
            generatedTokens += results.map(\.ids.count).reduce(0, +)
            progress?(batch.upperBound, examples.count)
        }
        if let group = options.group {
            predictions = try group.allGather(encoding: predictions).flatMap { $0 }
            generatedTokens = group.allGather(concatenating: [generatedTokens]).reduce(0, +)
        }
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let misses = zip(examples, predictions).filter { !ExactMatch.matches($1, references: $0.references) }
            .prefix(options.keptMisses)
            .map { TaskReport.Miss(prompt: $0.prompt, prediction: $1, references: $0.references) }
        let scores = MetricSuite.score(options.metrics, predictions: predictions, references: examples.map(\.references),
                                       sources: examples.map(\.source), bootstrap: options.bootstrap)
        return TaskReport(model: name, count: examples.count, scores: scores,
                          tokensPerSecond: seconds > 0 ? Double(generatedTokens) / seconds : 0, misses: misses)
    }
}
