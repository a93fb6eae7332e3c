// The Llama family: Llama 2/3, SmolLM2, Mistral, Qwen2/2.5 (which adds q/k/v biases).
// Pre-norm decoder: RMSNorm -> grouped-query attention with rotary embeddings -> residual,
// RMSNorm -> SwiGLU MLP -> residual; final RMSNorm and an (optionally tied) output head.
// Follows transformers' modeling_llama.py; weights use its names and [out, in] layout.
import AfinaTensor

public final class Llama: CausalLM, @unchecked Sendable {
    struct Layer: DecoderLayer {
        let attnNorm: Tensor
        var q, k, v, o: Linear
        let mlpNorm: Tensor
        var gate, up, down: Linear

        var norms: [(module: String, weight: Tensor)] {
            [("input_layernorm", attnNorm), ("post_attention_layernorm", mlpNorm)]
        }
    }

    public let config: LlamaConfig
    public let backend: any Backend
    let embed: Tensor       // [V, D]
    var layers: [Layer]
    let norm: Tensor        // [D]
    let lmHead: Tensor      // [V, D], the embedding when tied
    let invFreq: [Float]    // [headDim / 2]

    public var vocabularySize: Int { config.vocabularySize }
    public var contextLength: Int { config.contextLength }

    /// Builds the model from `weights`, which must hold exactly the tensors it needs.
    public init(config: LlamaConfig, weights: WeightTable, backend: any Backend) throws {
        var w = weights
        let (d, ff, v) = (config.hiddenSize, config.intermediateSize, config.vocabularySize)
        let (qDim, kvDim) = (config.headCount * config.headDim, config.kvHeadCount * config.headDim)
        self.config = config
        self.backend = backend
        embed = try w.take("model.embed_tokens.weight", shape: [v, d])
        layers = try (0..<config.layerCount).map { i in
            let p = "model.layers.\(i)."
            func linear(_ module: String, _ shape: [Int], bias: Bool = false) throws -> Linear {
                Linear(name: p + module, weight: try w.take(p + module + ".weight", shape: shape),
                       bias: bias ? try w.take(p + module + ".bias", shape: [shape[0]]) : nil)
            }
            return Layer(
                attnNorm: try w.take(p + "input_layernorm.weight", shape: [d]),
                q: try linear("self_attn.q_proj", [qDim, d], bias: config.attentionBias),
                k: try linear("self_attn.k_proj", [kvDim, d], bias: config.attentionBias),
                v: try linear("self_attn.v_proj", [kvDim, d], bias: config.attentionBias),
                o: try linear("self_attn.o_proj", [d, qDim]),
                mlpNorm: try w.take(p + "post_attention_layernorm.weight", shape: [d]),
                gate: try linear("mlp.gate_proj", [ff, d]),
                up: try linear("mlp.up_proj", [ff, d]),
                down: try linear("mlp.down_proj", [d, ff]))
        }
        norm = try w.take("model.norm.weight", shape: [d])
        // A tied checkpoint may still carry a copy of the head; the embedding is used.
        let head = try w.takeIfPresent("lm_head.weight", shape: [v, d])
        lmHead = config.tieWordEmbeddings ? embed : try head ?? w.take("lm_head.weight", shape: [v, d])
        try w.finish()
        invFreq = config.rope.inverseFrequencies(headDim: config.headDim)
    }

    public func makeCache(slots: Int, capacity: Int) -> KVCache {
        KVCache(backend: backend, layers: config.layerCount, slots: slots, capacity: capacity,
                width: config.kvHeadCount * config.headDim)
    }

    public func logits(_ chunks: [SequenceChunk], cache: KVCache, allPositions: Bool) throws -> Tensor {
        let b = backend
        let (spans, positions, cacheRows) = try cache.place(chunks)
        let c = config
        var x = b.embedding(embed, ids: chunks.flatMap(\.tokens))                    // [N, D]
        for (i, layer) in layers.enumerated() {
            let attnIn = b.rmsNorm(x, weight: layer.attnNorm, eps: c.rmsNormEps)      // [N, D]
            let qkv = Linear.apply([layer.q, layer.k, layer.v], attnIn, b)
            let q = b.rope(qkv[0], positions: positions, headDim: c.headDim, invFreq: invFreq)  // [N, H*hd]
            let k = b.rope(qkv[1], positions: positions, headDim: c.headDim, invFreq: invFreq)  // [N, Hkv*hd]
            let v = qkv[2]                                                               // [N, Hkv*hd]
            b.copyRows(k, into: cache.keys[i], at: cacheRows)
            b.copyRows(v, into: cache.values[i], at: cacheRows)
            let attn = b.attention(query: q, keys: cache.keys[i], values: cache.values[i], spans: spans,
                                   heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim)
            x = b.add(x, layer.o(attn, b))
            let mlpIn = b.rmsNorm(x, weight: layer.mlpNorm, eps: c.rmsNormEps)
            let gateUp = Linear.apply([layer.gate, layer.up], mlpIn, b)
            let hidden = b.swiglu(gate: gateUp[0], up: gateUp[1])                        // [N, FF]
            x = b.add(x, layer.down(hidden, b))
        }
        for chunk in chunks { cache.advance(slot: chunk.slot, by: chunk.tokens.count) }
        let rows = allPositions ? Array(0..<positions.count) : spans.map { $0.queryRow + $0.count - 1 }
        let last = b.rmsNorm(b.gatherRows(x, rows), weight: norm, eps: c.rmsNormEps)
        return b.linear(last, weight: lmHead, bias: nil)                                // [rows, V]
    }
}
