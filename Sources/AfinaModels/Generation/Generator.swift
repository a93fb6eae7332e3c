// Batched generation over a KV cache: one prefill for all prompts, then one decode step per
// token for every sequence still running. Stops on stop tokens, stop strings or max tokens.
import AfinaTensor
import Foundation

/// What to generate for one prompt.
public struct GenerationRequest: Sendable {
    public var prompt: [Int32]
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Token ids that end generation (the model's end-of-sequence tokens).
    public var stopTokens: Set<Int32>
    /// Text that ends generation; the output is cut before it.
    public var stopStrings: [String]
    /// How many top alternatives to report per generated token (0: no log-probabilities).
    public var topLogprobs: Int

    public init(prompt: [Int32], maxTokens: Int, sampling: SamplingParameters = .init(),
                stopTokens: Set<Int32> = [], stopStrings: [String] = [], topLogprobs: Int = 0) {
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopTokens = stopTokens
        self.stopStrings = stopStrings
        self.topLogprobs = topLogprobs
    }
}

/// A token with its natural-log probability under the model (before sampling adjustments).
public struct TokenLogprob: Sendable, Codable, Equatable {
    public var id: Int32
    public var logprob: Float
    /// The most likely tokens at this position, best first (empty in the `top` list itself).
    public var top: [TokenLogprob]?
}

public struct GenerationResult: Sendable {
    public enum FinishReason: String, Sendable, Codable { case stop, length }
    public var promptIDs: [Int32]
    /// Generated ids, including a final stop token if one ended generation.
    public var ids: [Int32]
    /// Generated text, without a stop token or stop string.
    public var text: String
    public var logprobs: [TokenLogprob]
    public var finishReason: FinishReason
}

/// Timings of one `generate` call, for benchmarks.
public struct GenerationTimings: Sendable {
    public var prefillTokens = 0, decodeTokens = 0
    public var prefillSeconds = 0.0, decodeSeconds = 0.0
    public init() {}
}

public final class Generator: @unchecked Sendable {
    public let model: any CausalLM
    private let decode: ([Int32]) -> String

    /// `decode` turns ids into text (the tokenizer's decoder).
    public init(model: any CausalLM, decode: @escaping ([Int32]) -> String) {
        self.model = model
        self.decode = decode
    }

    /// Generates for every request at once. `onText(i, piece)` receives text of request i as
    /// soon as it is final (never half a UTF-8 character or a possible stop string prefix).
    public func generate(_ requests: [GenerationRequest], timings: UnsafeMutablePointer<GenerationTimings>? = nil,
                         onText: ((Int, String) -> Void)? = nil) throws -> [GenerationResult] {
        for r in requests {
            try r.sampling.validate()
            guard !r.prompt.isEmpty else { throw ModelError.invalidArgument("the prompt is empty") }
            guard r.prompt.count < model.contextLength else {
                throw ModelError.promptTooLong(r.prompt.count, contextLength: model.contextLength)
            }
        }
        let capacity = min(model.contextLength, requests.map { $0.prompt.count + $0.maxTokens }.max() ?? 1)
        let cache = model.makeCache(slots: requests.count, capacity: capacity)
        var states = requests.map { SequenceState(request: $0, capacity: capacity) }
        var clock = ContinuousClock.now
        // A prefix every prompt shares (a system prompt, few-shot examples) runs once; each
        // prompt keeps at least its last token to give its first logits.
        let shared = requests.count > 1 && model.sharesPromptPrefixes
            ? KVCache.sharedPrefixLength(requests.map(\.prompt), atMost: requests.map(\.prompt.count).min()! - 1) : 0
        if shared > 0 { try model.prefillShared(Array(requests[0].prompt[..<shared]), cache: cache) }
        var logits = try model.logits(requests.enumerated().map { SequenceChunk(slot: $0, tokens: Array($1.prompt[shared...])) },
                                      cache: cache, allPositions: false)
        timings?.pointee.prefillTokens += shared + requests.map { $0.prompt.count - shared }.reduce(0, +)
        timings?.pointee.prefillSeconds += clock.secondsSince()
        clock = .now
        while true {
            let rows = model.backend.floats(logits)
            let vocabulary = logits.columns
            var chunks: [SequenceChunk] = []
            for (row, slot) in states.indices.filter({ !states[$0].finished }).enumerated() {
                let piece = states[slot].step(logits: Array(rows[row * vocabulary..<(row + 1) * vocabulary]),
                                              decode: decode)
                if !piece.isEmpty { onText?(slot, piece) }
                if !states[slot].finished { chunks.append(SequenceChunk(slot: slot, tokens: [states[slot].ids.last!])) }
            }
            if chunks.isEmpty { break }
            logits = try model.logits(chunks, cache: cache, allPositions: false)
            timings?.pointee.decodeTokens += chunks.count
        }
        timings?.pointee.decodeSeconds += clock.secondsSince()
        return states.map(\.result)
    }
}

/// Log-softmax of `logits` at `chosen`, with the k most likely tokens.
func topLogprobs(_ logits: [Float], chosen: Int32, k: Int) -> TokenLogprob {
    let logSum = logSumExp(logits[...])
    return TokenLogprob(id: chosen, logprob: logits[Int(chosen)] - logSum,
                        top: largest(k, of: logits[...]).map { TokenLogprob(id: Int32($0), logprob: logits[$0] - logSum, top: nil) })
}

/// log Σ exp(x): the sum in double precision around the largest value.
func logSumExp(_ x: ArraySlice<Float>) -> Float {
    let top = x.max() ?? 0
    return Float(log(x.reduce(0.0) { $0 + exp(Double($1 - top)) })) + top
}

/// The positions (from 0) of the n largest of `x`, largest first, the earlier of equals first.
func largest(_ n: Int, of x: ArraySlice<Float>) -> [Int] {
    guard n > 0 else { return [] }
    var best: [Int] = []
    for (i, value) in x.enumerated() where best.count < n || value > x[x.startIndex + best[best.count - 1]] {
        best.insert(i, at: best.firstIndex { value > x[x.startIndex + $0] } ?? best.count)
        if best.count > n { best.removeLast() }
    }
    return best
}

extension ContinuousClock.Instant {
    func secondsSince() -> Double {
        let d = ContinuousClock.now - self
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
