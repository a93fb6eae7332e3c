// Key/value cache for decoding: per layer, `slots` sequences of up to `capacity` positions.
import AfinaTensor

/// Keys and values of past positions, one region of `capacity` rows per sequence slot; a
/// sliding-window layer keeps only a ring of the positions its next queries can see.
public class KVCache: @unchecked Sendable {
    public let slots: Int
    public let capacity: Int
    let backend: any Backend
    /// Per layer: [slots * rows, kvHeads * headDim], rows = capacity, or the ring's size.
    let keys: [Tensor]
    let values: [Tensor]
    /// Per layer: the ring size of a sliding-window layer (window - 1: the past keys a query
    /// sees), or nil for a layer that keeps every position. Position p of a slot sits at ring
    /// row p % size.
    let rings: [Int?]
    /// Positions filled in each slot.
    public private(set) var lengths: [Int]

    /// `windows[layer]` (when given) is that layer's sliding window; a window shorter than
    /// `capacity` makes the layer a ring.
    public init(backend: any Backend, layers: Int, slots: Int, capacity: Int, width: Int, windows: [Int?] = []) {
        self.slots = slots
        self.capacity = capacity
        self.backend = backend
        rings = (0..<layers).map { i in
            (i < windows.count ? windows[i] : nil).flatMap { $0 - 1 < capacity ? max(1, $0 - 1) : nil }
        }
        // Only the rows of filled positions are ever read, so nothing is zeroed: a server's
        // cache costs memory as it fills, not at start.
        keys = rings.map { backend.uninitialized([slots * ($0 ?? capacity), width]) }
        values = rings.map { backend.uninitialized([slots * ($0 ?? capacity), width]) }
        lengths = Array(repeating: 0, count: slots)
    }

    /// Forgets what `slot` holds so a new sequence can use it.
    public func reset(slot: Int) { lengths[slot] = 0 }

    /// Makes each of `targets` hold the first `count` positions of `source`: prompts that
    /// begin alike are run through the model once.
    public func sharePrefix(_ count: Int, of source: Int, with targets: [Int]) {
        precondition(count <= lengths[source], "the source slot holds fewer positions")
        // A ring holds the source's last positions, so it can only be shared whole.
        precondition(rings.allSatisfy { $0 == nil } || count == lengths[source], "a ring is shared whole")
        for (layer, size) in zip(keys + values, rings + rings) {
            let rows = size ?? capacity, kept = min(count, rows)
            let prefix = backend.gatherRows(layer, Array(source * rows..<source * rows + kept))
            for target in targets {
                backend.copyRows(prefix, into: layer, at: Array(target * rows..<target * rows + kept))
            }
        }
        for target in targets { lengths[target] = count }
    }

    /// Makes each slot i hold what slot `sources[i]` held (beam search keeps the beams that
    /// survive a step, some twice): the filled rows of every layer, moved in one gather.
    public func reorder(_ sources: [Int]) {
        precondition(sources.count == slots && sources.allSatisfy { (0..<slots).contains($0) }, "one source slot per slot")
        for (layer, size) in zip(keys + values, rings + rings) {
            reorderRegions(of: layer, rowsPerSlot: size ?? capacity, filled: { min(self.lengths[$0], size ?? self.capacity) },
                           sources: sources)
        }
        lengths = sources.map { lengths[$0] }
    }

    /// Slot i's region of `tensor` (`rowsPerSlot` rows, the first `filled(slot)` in use) takes
    /// the contents of slot `sources[i]`'s.
    func reorderRegions(of tensor: Tensor, rowsPerSlot: Int, filled: (Int) -> Int, sources: [Int]) {
        var (from, to) = ([Int](), [Int]())
        for (slot, source) in sources.enumerated() where slot != source {
            from += source * rowsPerSlot..<source * rowsPerSlot + filled(source)
            to += slot * rowsPerSlot..<slot * rowsPerSlot + filled(source)
        }
        guard !from.isEmpty else { return }
        backend.copyRows(backend.gatherRows(tensor, from), into: tensor, at: to)
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

    /// For a ring layer, before `advance`: the keys and values the chunks' queries see, each
    /// chunk's laid out together (the ring's past positions in order, then its new rows of
    /// `keys`/`values` [N, width], whose row i is spans' query row i), with sliding-window spans
    /// over them; then the new positions go into the ring.
    func windowed(layer: Int, keys: Tensor, values: Tensor, spans: [AttentionSpan],
                  window: Int) -> (keys: Tensor, values: Tensor, spans: [AttentionSpan]) {
        let size = rings[layer]!
        var (pastRows, pastPlaces, newRows, newPlaces) = ([Int](), [Int](), [Int](), [Int]())
        var (storeRows, storePlaces) = ([Int](), [Int]())
        var windowSpans: [AttentionSpan] = []
        for span in spans {
            let slot = span.keyRow / capacity, kept = min(span.past, size)
            let start = pastPlaces.count + newPlaces.count
            for p in span.past - kept..<span.past { pastRows.append(slot * size + p % size) }
            pastPlaces += start..<start + kept
            newRows += span.queryRow..<span.queryRow + span.count
            newPlaces += start + kept..<start + kept + span.count
            windowSpans.append(AttentionSpan(queryRow: span.queryRow, count: span.count, keyRow: start, past: kept,
                                             mask: .slidingWindow(window)))
            for p in max(span.past, span.past + span.count - size)..<span.past + span.count {
                storeRows.append(span.queryRow + p - span.past)
                storePlaces.append(slot * size + p % size)
            }
        }
        func seen(_ ring: Tensor, _ new: Tensor) -> Tensor {
            let out = backend.uninitialized([pastPlaces.count + newPlaces.count, new.columns])
            backend.copyRows(backend.gatherRows(ring, pastRows), into: out, at: pastPlaces)
            backend.copyRows(backend.gatherRows(new, newRows), into: out, at: newPlaces)
            return out
        }
        // Fresh prompts see only their new rows, in place; otherwise the ring's past rows are
        // read before the new positions overwrite them.
        let result = pastRows.isEmpty
            ? (keys, values, spans.map { AttentionSpan(queryRow: $0.queryRow, count: $0.count, keyRow: $0.queryRow,
                                                       past: 0, mask: .slidingWindow(window)) })
            : (seen(self.keys[layer], keys), seen(self.values[layer], values), windowSpans)
        for (new, ring) in [(keys, self.keys[layer]), (values, self.values[layer])] {
            backend.copyRows(backend.gatherRows(new, storeRows), into: ring, at: storePlaces)
        }
        return result
    }

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
