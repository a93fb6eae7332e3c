// T5's decoder over encoded inputs: causal self-attention over a KV cache with the decoder's
// relative position bias, then cross-attention over the keys and values of its slot's input,
// computed once per layer when the inputs are encoded.
import AfinaTensor

final class T5Decoder: CausalLM, @unchecked Sendable {
    let model: T5
    /// Per decoder layer: cross-attention keys and values of every input, packed [Σ S, inner].
    let crossKeys, crossValues: [Tensor]
    /// Each input's first encoder row and length.
    let inputRows, inputLengths: [Int]
    let slotsPerInput: Int
    /// The self-attention bias of the last cache capacity seen.
    private var selfBias: (capacity: Int, bias: AttentionBias)?

    var backend: any Backend { model.backend }
    var vocabularySize: Int { model.vocabularySize }
    var contextLength: Int { model.contextLength }

    init(model: T5, inputs: [[Int32]], encoded: Tensor, slotsPerInput: Int) throws {
        guard slotsPerInput > 0 else { throw ModelError.invalidArgument("slotsPerInput must be positive") }
        let b = model.backend
        self.model = model
        crossKeys = model.decoderLayers.map { $0.crossAttention!.k(encoded, b) }
        crossValues = model.decoderLayers.map { $0.crossAttention!.v(encoded, b) }
        let lengths = inputs.map(\.count)
        inputLengths = lengths
        inputRows = lengths.indices.map { lengths[..<$0].reduce(0, +) }
        self.slotsPerInput = slotsPerInput
    }

    func makeCache(slots: Int, capacity: Int) -> KVCache {
        KVCache(backend: backend, layers: model.config.decoderLayerCount, slots: slots, capacity: capacity,
                width: model.config.innerSize)
    }

    func logits(_ chunks: [SequenceChunk], cache: KVCache, allPositions: Bool) throws -> Tensor {
        let (m, b) = (model, backend)
        let tokens = chunks.flatMap(\.tokens)
        try m.validate([tokens], what: "output")
        for chunk in chunks where chunk.slot / slotsPerInput >= inputLengths.count {
            throw ModelError.invalidArgument("cache slot \(chunk.slot) has no input (\(inputLengths.count) inputs)")
        }
        let (spans, _, cacheRows) = try cache.place(chunks)
        let crossSpans = zip(spans, chunks).map { span, chunk in
            let input = chunk.slot / slotsPerInput
            return AttentionSpan(queryRow: span.queryRow, count: span.count, keyRow: inputRows[input], past: 0,
                                 mask: .bidirectional(keys: inputLengths[input]))
        }
        let bias = selfAttentionBias(capacity: cache.capacity)
        var x = b.embedding(m.shared, ids: tokens)
        for (i, layer) in m.decoderLayers.enumerated() {
            let h = m.norm(x, layer.selfNorm)
            b.copyRows(layer.selfAttention.k(h, b), into: cache.keys[i], at: cacheRows)
            b.copyRows(layer.selfAttention.v(h, b), into: cache.values[i], at: cacheRows)
            x = b.add(x, m.attend(layer.selfAttention, h, keys: cache.keys[i], values: cache.values[i], spans: spans, bias: bias))
            x = b.add(x, m.attend(layer.crossAttention!, m.norm(x, layer.crossNorm!), keys: crossKeys[i], values: crossValues[i],
                                  spans: crossSpans, bias: nil))
            x = b.add(x, m.feedForward(layer.feedForward, m.norm(x, layer.feedForwardNorm)))
        }
        for chunk in chunks { cache.advance(slot: chunk.slot, by: chunk.tokens.count) }
        return m.logits(decoderStates: allPositions ? x : b.gatherRows(x, spans.map { $0.queryRow + $0.count - 1 }))
    }

    /// The decoder's bias for every position a cache of `capacity` holds, built once per capacity.
    private func selfAttentionBias(capacity: Int) -> AttentionBias {
        if let selfBias, selfBias.capacity == capacity { return selfBias.bias }
        let bias = model.decoderBias.attentionBias(positions: capacity, backend: backend)
        selfBias = (capacity, bias)
        return bias
    }
}
