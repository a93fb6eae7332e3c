// One sequence's side of generation, shared by `Generator` (fixed batches) and the server's
// engine (continuous batching): sampling, stop tokens and strings, log-probabilities, and
// streaming only text that can no longer change.

/// Progress of one sequence: sampled ids, text so far, and why it stopped.
public struct SequenceState: Sendable {
    public let request: GenerationRequest
    /// Most tokens this sequence may generate: max tokens, or what the cache has room for.
    public let limit: Int
    var sampler: Sampler
    public private(set) var ids: [Int32] = []
    public private(set) var logprobs: [TokenLogprob] = []
    public private(set) var text = ""
    private var emitted = 0           // Unicode scalars of `text` already handed to the caller
    public private(set) var finishReason: GenerationResult.FinishReason?
    public var finished: Bool { finishReason != nil }

    /// `capacity`: positions the sequence's cache slot holds (prompt and generated tokens).
    public init(request: GenerationRequest, capacity: Int) {
        self.request = request
        limit = min(request.maxTokens, capacity - request.prompt.count)
        sampler = Sampler(request.sampling)
        if limit <= 0 { finishReason = .length }
    }

    /// Samples the next token from `logits` [V]; returns newly final text.
    public mutating func step(logits: [Float], decode: ([Int32]) -> String) -> String {
        let id = sampler.next(logits: logits, history: request.prompt + ids)
        ids.append(id)
        if request.topLogprobs > 0 { logprobs.append(topLogprobs(logits, chosen: id, k: request.topLogprobs)) }
        if request.stopTokens.contains(id) {
            finishReason = .stop
        } else {
            text = decode(ids)
            if let cut = request.stopStrings.compactMap({ text.range(of: $0)?.lowerBound }).min() {
                text = String(text[..<cut])
                finishReason = .stop
            } else if ids.count >= limit {
                finishReason = .length
            }
        }
        return takeFinalText()
    }

    /// Text not yet emitted that can no longer change: all of it once finished, otherwise
    /// without a trailing partial character (U+FFFD) or a prefix of a stop string.
    /// Counted in Unicode scalars, since a combining mark can still join the last character.
    private mutating func takeFinalText() -> String {
        var scalars = Array(text.unicodeScalars)
        if !finished {
            while scalars.last == "\u{FFFD}" { scalars.removeLast() }
            let held = request.stopStrings.map { stop in
                let stopScalars = Array(stop.unicodeScalars)
                return (1..<max(stopScalars.count, 1)).reversed().first { n in
                    scalars.suffix(n).elementsEqual(stopScalars.prefix(n))
                } ?? 0
            }.max() ?? 0
            scalars.removeLast(min(held, scalars.count))
        }
        guard scalars.count > emitted else { return "" }
        defer { emitted = scalars.count }
        return String(String.UnicodeScalarView(scalars[emitted...]))
    }

    public var result: GenerationResult {
        GenerationResult(promptIDs: request.prompt, ids: ids, text: text, logprobs: logprobs,
                         finishReason: finishReason ?? .length)
    }
}
