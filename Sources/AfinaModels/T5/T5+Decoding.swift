// T5 as a causal LM whose prompt is the encoder input (see Seq2SeqLM): the decoder's causal
// self-attention over a KV cache with its relative position bias, then cross-attention over
// the encoder keys and values of the slot's input, which the cache keeps from the slot's
// first chunk on.
import AfinaTensor

/// A decoder KV cache that also holds the cross-attention keys and values of each slot's input.
final class T5Cache: KVCache, @unchecked Sendable {
    /// Per decoder layer: [slots * rowsPerSlot, inner]; slot s's input at rows s * rowsPerSlot.
    private(set) var crossKeys: [Tensor] = [], crossValues: [Tensor] = []
    private(set) var rowsPerSlot = 0
    /// The length of each slot's input.
    private(set) var inputLengths: [Int]

    init(backend: any Backend, layers: Int, slots: Int, capacity: Int, width: Int) {
        inputLengths = Array(repeating: 0, count: slots)
        super.init(backend: backend, layers: layers, slots: slots, capacity: capacity, width: width)
    }

    /// Stores `keys`/`values[layer]` [n, inner] (rows `rows` of them) as `slot`'s input,
    /// growing every slot's room when the input is longer than any before.
    func storeInput(slot: Int, keys: [Tensor], values: [Tensor], rows: Range<Int>) {
        if rows.count > rowsPerSlot { grow(to: (rows.count + 63) / 64 * 64, width: keys[0].columns) }
        let places = Array(slot * rowsPerSlot..<slot * rowsPerSlot + rows.count)
        for (layer, (k, v)) in zip(keys, values).enumerated() {
            backend.copyRows(backend.gatherRows(k, Array(rows)), into: crossKeys[layer], at: places)
            backend.copyRows(backend.gatherRows(v, Array(rows)), into: crossValues[layer], at: places)
        }
        inputLengths[slot] = rows.count
    }

    override func reorder(_ sources: [Int]) {
        for tensor in crossKeys + crossValues {
            reorderRegions(of: tensor, rowsPerSlot: rowsPerSlot, filled: { self.inputLengths[$0] }, sources: sources)
        }
        inputLengths = sources.map { inputLengths[$0] }
        super.reorder(sources)
    }

    private func grow(to rows: Int, width: Int) {
        let old = rowsPerSlot
        func grown(_ tensors: [Tensor]) -> [Tensor] {
            (0..<keys.count).map { layer in
                let t = backend.uninitialized([slots * rows, width])
                for slot in 0..<slots where old > 0 && inputLengths[slot] > 0 {
                    let kept = backend.gatherRows(tensors[layer], Array(slot * old..<slot * old + inputLengths[slot]))
                    backend.copyRows(kept, into: t, at: Array(slot * rows..<slot * rows + inputLengths[slot]))
                }
                return t
            }
        }
        (crossKeys, crossValues, rowsPerSlot) = (grown(crossKeys), grown(crossValues), rows)
    }
}

extension T5 {
    /// A slot's first chunk is its input, so prompts cannot be split into a shared prefix.
    public var sharesPromptPrefixes: Bool { false }

    public func makeCache(slots: Int, capacity: Int) -> KVCache {
        T5Cache(backend: backend, layers: config.decoderLayerCount, slots: slots, capacity: capacity,
                width: config.innerSize)
    }

    public func logits(_ chunks: [SequenceChunk], cache: KVCache, allPositions: Bool) throws -> Tensor {
        guard let cache = cache as? T5Cache else { throw ModelError.invalidArgument("a T5 decoder needs the cache it made") }
        let b = backend
        // Chunks in empty slots are inputs: encode them together and keep their keys and values.
        let fresh = chunks.filter { cache.lengths[$0.slot] == 0 }
        if allPositions, fresh.contains(where: { $0.tokens.count > 1 }) {
            throw ModelError.invalidArgument("an encoder-decoder has no logits at its input's positions (allPositions on a new input)")
        }
        if !fresh.isEmpty {
            let encoded = try encode(fresh.map(\.tokens))
            let keys = decoderLayers.map { $0.crossAttention!.k(encoded, b) }
            let values = decoderLayers.map { $0.crossAttention!.v(encoded, b) }
            var row = 0
            for chunk in fresh {
                cache.storeInput(slot: chunk.slot, keys: keys, values: values, rows: row..<row + chunk.tokens.count)
                row += chunk.tokens.count
            }
        }
        let outputs = chunks.map { cache.lengths[$0.slot] == 0 ? SequenceChunk(slot: $0.slot, tokens: [decoderStartToken]) : $0 }
        let tokens = outputs.flatMap(\.tokens)
        try validate([tokens], what: "output")
        let (spans, _, cacheRows) = try cache.place(outputs)
        let crossSpans = zip(spans, outputs).map { span, chunk in
            AttentionSpan(queryRow: span.queryRow, count: span.count, keyRow: chunk.slot * cache.rowsPerSlot, past: 0,
                          mask: .bidirectional(keys: cache.inputLengths[chunk.slot]))
        }
        let bias = selfAttentionBias(capacity: cache.capacity)
        var x = b.embedding(shared, ids: tokens)
        for (i, layer) in decoderLayers.enumerated() {
            let h = norm(x, layer.selfNorm)
            b.copyRows(layer.selfAttention.k(h, b), into: cache.keys[i], at: cacheRows)
            b.copyRows(layer.selfAttention.v(h, b), into: cache.values[i], at: cacheRows)
            x = b.add(x, attend(layer.selfAttention, h, keys: cache.keys[i], values: cache.values[i], spans: spans, bias: bias))
            x = b.add(x, attend(layer.crossAttention!, norm(x, layer.crossNorm!), keys: cache.crossKeys[i],
                                  values: cache.crossValues[i], spans: crossSpans, bias: nil))
            x = b.add(x, feedForward(layer.feedForward, norm(x, layer.feedForwardNorm)))
        }
        for chunk in outputs { cache.advance(slot: chunk.slot, by: chunk.tokens.count) }
        return logits(decoderStates: allPositions ? x : b.gatherRows(x, spans.map { $0.queryRow + $0.count - 1 }))
    }

    /// The decoder's bias for every position a cache of `capacity` holds, built once per capacity.
    private func selfAttentionBias(capacity: Int) -> AttentionBias {
        if let table = decoderBiasTable, table.capacity == capacity { return table.bias }
        let bias = decoderBias.attentionBias(positions: capacity, backend: backend)
        decoderBiasTable = (capacity, bias)
        return bias
    }
}
