// Key/value cache for decoding: per layer, `slots` sequences of up to `capacity` positions.
import AfinaTensor

/// Keys and values of past positions, one region of `capacity` rows per sequence slot.
public final class KVCache: @unchecked Sendable {
    public let slots: Int
    public let capacity: Int
    let backend: any Backend
    /// Per layer: [slots * capacity, kvHeads * headDim].
    let keys: [Tensor]
    let values: [Tensor]
    /// Positions filled in each slot.
    public private(set) var lengths: [Int]

    public init(backend: any Backend, layers: Int, slots: Int, capacity: Int, width: Int) {
        self.slots = slots
        self.capacity = capacity
        self.backend = backend
        // Only the first lengths[slot] rows of a slot are ever read, so nothing is zeroed:
        // a server's cache costs memory as it fills, not at start.
        keys = (0..<layers).map { _ in backend.uninitialized([slots * capacity, width]) }
        values = (0..<layers).map { _ in backend.uninitialized([slots * capacity, width]) }
        lengths = Array(repeating: 0, count: slots)
    }

    /// Forgets what `slot` holds so a new sequence can use it.
    public func reset(slot: Int) { lengths[slot] = 0 }

    /// Makes each of `targets` hold the first `count` positions of `source`: prompts that
    /// begin alike are run through the model once.
    public func sharePrefix(_ count: Int, of source: Int, with targets: [Int]) {
        precondition(count <= lengths[source], "the source slot holds fewer positions")
        let sourceRows = Array(source * capacity..<source * capacity + count)
        for layer in keys + values {
            let prefix = backend.gatherRows(layer, sourceRows)
            for target in targets {
                backend.copyRows(prefix, into: layer, at: Array(target * capacity..<target * capacity + count))
            }
        }
        for target in targets { lengths[target] = count }
    }

    /// How many tokens, up to `limit`, every one of `sequences` starts with.
    public static func sharedPrefixLength(_ sequences: [[Int32]], atMost limit: Int) -> Int {
        guard let first = sequences.first else { return 0 }
        var length = max(0, min(limit, first.count))
        for sequence in sequences.dropFirst() {
            length = zip(first[..<length], sequence).prefix { $0 == $1 }.count
        }
        return length
    }

    /// Rows in the layer tensors where `count` new positions of `slot` go; throws when full.
    func reserve(slot: Int, count: Int) throws -> Range<Int> {
        let start = lengths[slot]
        guard start + count <= capacity else {
            throw ModelError.contextOverflow(needed: start + count, capacity: capacity)
        }
        return slot * capacity + start..<slot * capacity + start + count
    }

    func advance(slot: Int, by count: Int) { lengths[slot] += count }

    /// Where each chunk's new tokens go: their causal attention spans over their slots, their
    /// positions (after what each slot holds) and their cache rows; throws when a slot is full.
    /// The model writes its keys and values there, then calls `advance` for each chunk.
    func place(_ chunks: [SequenceChunk]) throws -> (spans: [AttentionSpan], positions: [Int32], rows: [Int]) {
        var spans: [AttentionSpan] = [], positions: [Int32] = [], rows: [Int] = []
        for chunk in chunks {
            let reserved = try reserve(slot: chunk.slot, count: chunk.tokens.count)
            let past = lengths[chunk.slot]
            spans.append(AttentionSpan(queryRow: positions.count, count: chunk.tokens.count,
                                       keyRow: chunk.slot * capacity, past: past))
            positions += (past..<past + chunk.tokens.count).map { Int32($0) }
            rows += reserved
        }
        return (spans, positions, rows)
    }
}

extension CausalLM {
    /// Runs `prefix` once, in slot 0, and gives every slot of `cache` its keys and values:
    /// the start of a batch whose sequences all begin with `prefix`.
    public func prefillShared(_ prefix: [Int32], cache: KVCache) throws {
        _ = try logits([SequenceChunk(slot: 0, tokens: prefix)], cache: cache, allPositions: false)
        cache.sharePrefix(prefix.count, of: 0, with: Array(1..<cache.slots))
    }
}
