// What goes into the inference engine and what comes back out of it.
import AfinaModels

/// Settings of the inference engine.
public struct EngineOptions: Sendable {
    /// Sequences decoded together: the KV cache has this many slots.
    public var maxBatch: Int
    /// Requests that may wait for a slot; more are refused (HTTP 429).
    public var maxQueue: Int
    /// Positions per slot (prompt and answer); nil: the model's context length.
    public var contextLength: Int?
    /// Most sequences per decoding product; nil: as many as keep each row's logits the same
    /// as alone (`RowIndependence`), so greedy answers do not depend on what else runs.
    public var decodeRowsPerCall: Int?

    public init(maxBatch: Int = 16, maxQueue: Int = 64, contextLength: Int? = nil, decodeRowsPerCall: Int? = nil) {
        (self.maxBatch, self.maxQueue, self.contextLength) = (maxBatch, maxQueue, contextLength)
        self.decodeRowsPerCall = decodeRowsPerCall
    }
}

/// What a submitted sequence reports, in order: deltas, then `finished` or `failed`.
public enum EngineEvent: Sendable {
    /// Newly final text, and the log-probabilities of the tokens sampled since the last delta.
    case delta(text: String, logprobs: [TokenLogprob])
    case finished(GenerationResult)
    case failed(String)
}

/// Why the engine refused a request.
public enum EngineRejection: Error, Sendable {
    case unknownModel(String)
    /// A model added under a name already served.
    case duplicateModel(String)
    case queueFull(limit: Int)
    case stopped
}

/// Counters for `/health` and tests.
public struct EngineStatistics: Sendable, Equatable, Codable {
    /// Sequences holding a cache slot, and sequences waiting for one.
    public var running = 0, waiting = 0
    /// Most sequences that have held slots at once.
    public var peakRunning = 0
    /// Sequences that ended normally, were cancelled by their client, or failed.
    public var completed = 0, cancelled = 0, failed = 0
}

/// The events of one submitted sequence; `cancel()` frees its slot (a no-op once finished).
public struct EngineStream: Sendable {
    public let events: AsyncStream<EngineEvent>
    let onCancel: @Sendable () -> Void

    public func cancel() { onCancel() }
}
