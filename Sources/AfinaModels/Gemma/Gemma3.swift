// Gemma 3 text models (Gemma Team 2025), as transformers' modeling_gemma3.py runs them:
// embeddings scaled by sqrt(hidden); per layer RMSNorm -> attention with RMS-normed queries
// and keys, rotary embeddings (local base on sliding-window layers, global base and scaling on
// the others) and scores scaled by query_pre_attn_scalar^-1/2 -> RMSNorm -> residual, then
// RMSNorm -> GeGLU MLP (tanh GELU) -> RMSNorm -> residual; final RMSNorm, head tied to the
// embedding.
//
// Gemma's RMSNorm multiplies by (1 + weight). The norms here hold that factor itself (what
// llama.cpp's GGUF stores), computed once at load from a Hugging Face weight, so every norm is
// the backend's plain rmsNorm.
import AfinaTensor

public final class Gemma3: CausalLM, @unchecked Sendable {
    struct Layer: DecoderLayer {
        let inputNorm, postAttentionNorm, preFeedforwardNorm, postFeedforwardNorm: Tensor  // [D]
        let queryNorm, keyNorm: Tensor                                                      // [headDim]
        var q, k, v, o: Linear
        var gate, up, down: Linear

        /// The norms with their Hugging Face module names; each holds 1 + w, not w.
        var norms: [(module: String, weight: Tensor)] {
            [("input_layernorm", inputNorm), ("self_attn.q_norm", queryNorm), ("self_attn.k_norm", keyNorm),
             ("post_attention_layernorm", postAttentionNorm), ("pre_feedforward_layernorm", preFeedforwardNorm),
             ("post_feedforward_layernorm", postFeedforwardNorm)]
        }
    }

    public let config: Gemma3Config
    public let backend: any Backend
    let embed: Tensor       // [V, D], also the output head
    var layers: [Layer]
    let norm: Tensor        // [D]
    let globalInvFreq, localInvFreq: [Float]

    public var vocabularySize: Int { config.vocabularySize }
    public var contextLength: Int { config.contextLength }

    /// Builds the model from `weights` (Hugging Face names); `normsIncludeOne` says the norm
    /// weights already hold 1 + w (GGUF) rather than w (Hugging Face).
    init(config: Gemma3Config, weights: WeightTable, normsIncludeOne: Bool, backend: any Backend) throws {
        var w = weights
        let (d, ff, v, hd) = (config.hiddenSize, config.intermediateSize, config.vocabularySize, config.headDim)
        let (qDim, kvDim) = (config.headCount * hd, config.kvHeadCount * hd)
        self.config = config
        self.backend = backend
        func scale(_ name: String, _ size: Int) throws -> Tensor {
            let weight = try w.take(name, shape: [size])
            return normsIncludeOne ? weight : backend.tensor(backend.floats(weight).map { 1 + $0 }, shape: [size])
        }
        embed = try w.take("model.embed_tokens.weight", shape: [v, d])
        layers = try (0..<config.layerCount).map { i in
            let p = "model.layers.\(i)."
            func linear(_ module: String, _ shape: [Int]) throws -> Linear {
                Linear(name: p + module, weight: try w.take(p + module + ".weight", shape: shape))
            }
            return Layer(
                inputNorm: try scale(p + "input_layernorm.weight", d),
                postAttentionNorm: try scale(p + "post_attention_layernorm.weight", d),
                preFeedforwardNorm: try scale(p + "pre_feedforward_layernorm.weight", d),
                postFeedforwardNorm: try scale(p + "post_feedforward_layernorm.weight", d),
                queryNorm: try scale(p + "self_attn.q_norm.weight", hd),
                keyNorm: try scale(p + "self_attn.k_norm.weight", hd),
                q: try linear("self_attn.q_proj", [qDim, d]), k: try linear("self_attn.k_proj", [kvDim, d]),
                v: try linear("self_attn.v_proj", [kvDim, d]), o: try linear("self_attn.o_proj", [d, qDim]),
                gate: try linear("mlp.gate_proj", [ff, d]), up: try linear("mlp.up_proj", [ff, d]),
                down: try linear("mlp.down_proj", [d, ff]))
        }
        norm = try scale("model.norm.weight", d)
        // A checkpoint may carry a copy of the tied head; the embedding is used.
        _ = try w.takeIfPresent("lm_head.weight", shape: [v, d])
        try w.finish()
        globalInvFreq = config.globalRoPE.inverseFrequencies(headDim: hd)
        localInvFreq = config.localRoPE.inverseFrequencies(headDim: hd)
    }

    public func makeCache(slots: Int, capacity: Int) -> KVCache {
        // Local layers keep only the positions their window still sees.
        KVCache(backend: backend, layers: config.layerCount, slots: slots, capacity: capacity,
                width: config.kvHeadCount * config.headDim,
                windows: config.slidingLayers.map { $0 ? config.slidingWindow : nil })
    }

    public func logits(_ chunks: [SequenceChunk], cache: KVCache, allPositions: Bool) throws -> Tensor {
        let (b, c) = (backend, config)
        let (spans, positions, cacheRows) = try cache.place(chunks)
        let localSpans = spans.slidingWindow(c.slidingWindow)
        let n = positions.count
        var x = b.zeros([n, c.hiddenSize])
        b.axpy(embeddingScale, b.embedding(embed, ids: chunks.flatMap(\.tokens)), into: x)
        for (i, layer) in layers.enumerated() {
            let local = c.slidingLayers[i]
            let invFreq = local ? localInvFreq : globalInvFreq
            let h = b.rmsNorm(x, weight: layer.inputNorm, eps: c.rmsNormEps)
            let qkv = Linear.apply([layer.q, layer.k, layer.v], h, b)
            let q = headNorm(qkv[0], layer.queryNorm, heads: c.headCount)
            let k = b.rope(headNorm(qkv[1], layer.keyNorm, heads: c.kvHeadCount), positions: positions,
                           headDim: c.headDim, invFreq: invFreq)
            let v = qkv[2]
            var seen = (keys: cache.keys[i], values: cache.values[i], spans: local ? localSpans : spans)
            if cache.rings[i] != nil {
                seen = cache.windowed(layer: i, keys: k, values: v, spans: spans, window: c.slidingWindow)
            } else {
                b.copyRows(k, into: cache.keys[i], at: cacheRows)
                b.copyRows(v, into: cache.values[i], at: cacheRows)
            }
            let attention = b.attention(query: b.rope(q, positions: positions, headDim: c.headDim, invFreq: invFreq),
                                        keys: seen.keys, values: seen.values, spans: seen.spans, heads: c.headCount,
                                        kvHeads: c.kvHeadCount, headDim: c.headDim, scale: attentionScale, bias: nil)
            x = b.add(x, b.rmsNorm(layer.o(attention, b), weight: layer.postAttentionNorm, eps: c.rmsNormEps))
            let m = b.rmsNorm(x, weight: layer.preFeedforwardNorm, eps: c.rmsNormEps)
            let gateUp = Linear.apply([layer.gate, layer.up], m, b)
            let hidden = b.multiply(b.gelu(gateUp[0], approximation: .tanh), gateUp[1])  // [N, FF]
            x = b.add(x, b.rmsNorm(layer.down(hidden, b), weight: layer.postFeedforwardNorm, eps: c.rmsNormEps))
        }
        for chunk in chunks { cache.advance(slot: chunk.slot, by: chunk.tokens.count) }
        let rows = allPositions ? Array(0..<n) : spans.map { $0.queryRow + $0.count - 1 }
        let last = b.rmsNorm(b.gatherRows(x, rows), weight: norm, eps: c.rmsNormEps)
        return b.linear(last, weight: embed, bias: nil)                                   // [rows, V]
    }

    /// sqrt(hidden) rounded to float32 first, as transformers' embed_scale buffer.
    var embeddingScale: Float { Float(Double(config.hiddenSize).squareRoot()) }

    /// Attention scores are scaled by query_pre_attn_scalar^-1/2.
    var attentionScale: Float { Float(1 / config.queryPreAttnScalar.squareRoot()) }

    /// RMSNorm over each head's slice of x [N, heads * headDim].
    func headNorm(_ x: Tensor, _ weight: Tensor, heads: Int) -> Tensor {
        backend.rmsNorm(x.reshaped([x.rows * heads, config.headDim]), weight: weight, eps: config.rmsNormEps)
            .reshaped(x.shape)
    }
}

extension [AttentionSpan] {
    /// The spans with attention limited to the last `window` keys (a local layer).
    func slidingWindow(_ window: Int) -> [AttentionSpan] {
        map { span in
            var local = span
            local.mask = .slidingWindow(window)
            return local
        }
    }
}
