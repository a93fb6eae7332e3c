// What every decoder-only architecture offers to generation, evaluation and serving.
import AfinaTensor

/// New tokens for one sequence of a batch.
public struct SequenceChunk: Sendable {
    /// Cache slot of the sequence.
    public var slot: Int
    public var tokens: [Int32]
    public init(slot: Int, tokens: [Int32]) {
        self.slot = slot
        self.tokens = tokens
    }
}

/// A decoder-only language model.
public protocol CausalLM: LanguageModel {
    /// A cache for `slots` sequences of up to `capacity` positions each.
    func makeCache(slots: Int, capacity: Int) -> KVCache
    /// Runs the new tokens of each chunk after what its slot already holds, appending their
    /// keys and values to the cache. Returns logits [rows, vocabulary]: every position when
    /// `allPositions`, else only the last position of each chunk.
    func logits(_ chunks: [SequenceChunk], cache: KVCache, allPositions: Bool) throws -> Tensor
    /// Whether prompts that begin alike may run their common prefix once (`prefillShared`).
    var sharesPromptPrefixes: Bool { get }
}

extension CausalLM {
    public var sharesPromptPrefixes: Bool { true }
}
