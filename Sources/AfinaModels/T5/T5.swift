// T5 encoder-decoders (Raffel et al. 2020; v1.1 and Flan-T5, Chung et al. 2022), as
// transformers' modeling_t5.py runs them: a shared embedding; pre-norm layers with T5's
// LayerNorm (RMS, no bias), attention without score scaling plus the relative position bias
// of the stack's first layer, and a ReLU or gated-GELU MLP; the decoder adds cross-attention
// over the encoder's states between its self-attention and MLP. Each stack ends in a norm;
// the head is the embedding (decoder states scaled by d_model^-1/2 first) or its own.
import AfinaTensor
import Foundation

public final class T5: Seq2SeqLM, @unchecked Sendable {
    struct Attention {
        var q, k, v, o: Linear
    }

    /// out(act(activated x)), or out(act(activated x) * linear x) when gated.
    struct FeedForward {
        var activated: Linear           // wi, or wi_0
        var linear: Linear?             // wi_1
        var out: Linear                 // wo
    }

    struct Layer {
        let selfNorm: Tensor
        var selfAttention: Attention
        /// The decoder's cross-attention and its norm (nil in the encoder).
        let crossNorm: Tensor?
        var crossAttention: Attention?
        let feedForwardNorm: Tensor
        var feedForward: FeedForward
    }

    public let config: T5Config
    public let backend: any Backend
    let shared: Tensor                  // [V, D]
    let head: Tensor                    // [V, D]: `shared`, or lm_head
    var encoderLayers, decoderLayers: [Layer]
    let encoderNorm, decoderNorm: Tensor
    let encoderBias, decoderBias: RelativePositionBias
    /// The decoder's self-attention bias for the last cache capacity seen.
    var decoderBiasTable: (capacity: Int, bias: AttentionBias)?

    public var vocabularySize: Int { config.vocabularySize }
    public var contextLength: Int { config.maxPositions }
    public var decoderStartToken: Int32 { config.decoderStartToken }
    public var eosToken: Int32 { config.eosToken }

    init(config: T5Config, weights: WeightTable, backend: any Backend) throws {
        var w = weights
        let (d, ff, v, inner) = (config.hiddenSize, config.intermediateSize, config.vocabularySize, config.innerSize)
        (self.config, self.backend) = (config, backend)
        func linear(_ name: String, _ shape: [Int]) throws -> Linear {
            Linear(name: name, weight: try w.take(name + ".weight", shape: shape))
        }
        func attention(_ p: String) throws -> Attention {
            Attention(q: try linear(p + ".q", [inner, d]), k: try linear(p + ".k", [inner, d]),
                      v: try linear(p + ".v", [inner, d]), o: try linear(p + ".o", [d, inner]))
        }
        func feedForward(_ p: String) throws -> FeedForward {
            config.gated
                ? FeedForward(activated: try linear(p + ".wi_0", [ff, d]), linear: try linear(p + ".wi_1", [ff, d]),
                              out: try linear(p + ".wo", [d, ff]))
                : FeedForward(activated: try linear(p + ".wi", [ff, d]), linear: nil, out: try linear(p + ".wo", [d, ff]))
        }
        func stack(_ name: String, _ count: Int, cross: Bool) throws -> [Layer] {
            try (0..<count).map { i in
                let p = "\(name).block.\(i).layer."
                let f = cross ? "2" : "1"
                return Layer(selfNorm: try w.take(p + "0.layer_norm.weight", shape: [d]),
                             selfAttention: try attention(p + "0.SelfAttention"),
                             crossNorm: cross ? try w.take(p + "1.layer_norm.weight", shape: [d]) : nil,
                             crossAttention: cross ? try attention(p + "1.EncDecAttention") : nil,
                             feedForwardNorm: try w.take(p + f + ".layer_norm.weight", shape: [d]),
                             feedForward: try feedForward(p + f + ".DenseReluDense"))
            }
        }
        func bias(_ name: String, bidirectional: Bool) throws -> RelativePositionBias {
            RelativePositionBias(weight: try w.take("\(name).block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                                                    shape: [config.buckets, config.headCount]),
                                 bidirectional: bidirectional, buckets: config.buckets, maxDistance: config.maxDistance)
        }
        shared = try w.take("shared.weight", shape: [v, d])
        // Copies of the shared embedding some files carry, and a cross-attention bias that
        // older files carry and transformers ignores.
        for name in ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"] { _ = try w.takeIfPresent(name, shape: [v, d]) }
        _ = try w.takeIfPresent("decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight",
                                shape: [config.buckets, config.headCount])
        let ownHead = try w.takeIfPresent("lm_head.weight", shape: [v, d])
        if config.tiedHead {
            head = shared
        } else {
            guard let ownHead else { throw ModelError.invalidConfig("tie_word_embeddings is false but lm_head.weight is missing") }
            head = ownHead
        }
        encoderLayers = try stack("encoder", config.encoderLayerCount, cross: false)
        decoderLayers = try stack("decoder", config.decoderLayerCount, cross: true)
        encoderNorm = try w.take("encoder.final_layer_norm.weight", shape: [d])
        decoderNorm = try w.take("decoder.final_layer_norm.weight", shape: [d])
        encoderBias = try bias("encoder", bidirectional: true)
        decoderBias = try bias("decoder", bidirectional: false)
        try w.finish()
    }

    /// Each input must fit the model and hold only its ids.
    func validate(_ sequences: [[Int32]], what: String) throws {
        for ids in sequences {
            guard !ids.isEmpty else { throw ModelError.invalidArgument("an \(what) sequence is empty") }
            guard ids.count <= config.maxPositions else {
                throw ModelError.invalidArgument("an \(what) of \(ids.count) tokens is longer than the model's "
                    + "n_positions (\(config.maxPositions))")
            }
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabularySize }) {
                throw ModelError.invalidArgument("token id \(bad) is outside the vocabulary of \(config.vocabularySize)")
            }
        }
    }

    /// The packed encoder spans of `inputs` (bidirectional within each).
    static func spans(_ inputs: [[Int32]]) -> [AttentionSpan] {
        var row = 0
        return inputs.map { ids in
            defer { row += ids.count }
            return AttentionSpan(queryRow: row, count: ids.count, keyRow: row, past: 0, mask: .bidirectional(keys: ids.count))
        }
    }

    /// The encoder's final states of every input, packed: [Σ lengths, D].
    public func encode(_ inputs: [[Int32]]) throws -> Tensor {
        try validate(inputs, what: "input")
        let b = backend
        let spans = Self.spans(inputs)
        let bias = encoderBias.attentionBias(positions: inputs.map(\.count).max()!, backend: b)
        var x = b.embedding(shared, ids: inputs.flatMap { $0 })
        for layer in encoderLayers {
            let h = norm(x, layer.selfNorm)
            x = b.add(x, attend(layer.selfAttention, h, keys: layer.selfAttention.k(h, b), values: layer.selfAttention.v(h, b),
                                spans: spans, bias: bias))
            x = b.add(x, feedForward(layer.feedForward, norm(x, layer.feedForwardNorm)))
        }
        return norm(x, encoderNorm)
    }

    /// T5's LayerNorm: RMS normalization and a weight, no bias.
    func norm(_ x: Tensor, _ weight: Tensor) -> Tensor {
        backend.rmsNorm(x, weight: weight, eps: config.layerNormEps)
    }

    /// o(attention(q(h), keys, values)) with unscaled scores.
    func attend(_ a: Attention, _ h: Tensor, keys: Tensor, values: Tensor, spans: [AttentionSpan], bias: AttentionBias?) -> Tensor {
        let c = config
        return a.o(backend.attention(query: a.q(h, backend), keys: keys, values: values, spans: spans, heads: c.headCount,
                                     kvHeads: c.headCount, headDim: c.headDim, scale: 1, bias: bias), backend)
    }

    func activate(_ x: Tensor) -> Tensor {
        switch config.activation {
        case .relu: backend.relu(x)
        case .gelu(let form): backend.gelu(x, approximation: form)
        }
    }

    func feedForward(_ f: FeedForward, _ h: Tensor) -> Tensor {
        let hidden = activate(f.activated(h, backend))
        return f.out(f.linear.map { backend.multiply(hidden, $0(h, backend)) } ?? hidden, backend)
    }

    /// Logits [N, V] of final decoder states [N, D] (normed here).
    func logits(decoderStates x: Tensor) -> Tensor {
        backend.linear(scaledOutput(norm(x, decoderNorm)), weight: head, bias: nil)
    }

    /// d_model^-1/2, as transformers' Python float times a float32 tensor rounds it.
    var decoderOutputScale: Float { Float(pow(Double(config.hiddenSize), -0.5)) }

    /// Normed decoder states as the head reads them: scaled when the config says so.
    func scaledOutput(_ normed: Tensor) -> Tensor {
        guard config.scalesDecoderOutput else { return normed }
        let scaled = backend.zeros(normed.shape)
        backend.axpy(decoderOutputScale, normed, into: scaled)
        return scaled
    }

}
