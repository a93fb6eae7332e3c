// Training BERT: a forward pass that keeps what backward needs, and the backward pass as one
// reverse walk over the post-norm layers (after llm.c's gpt2_backward). The heads' forward and
// backward are in Bert+HeadTraining.swift.
import AfinaTensor

extension Bert {
    /// Adapter targets, matched against the end of each encoder module's name as peft does
    /// ("query" -> encoder.layer.N.attention.self.query; "dense" -> all three dense layers).
    public static let adapterTargets = ["query", "key", "value", "attention.output.dense", "intermediate.dense",
                                        "output.dense", "dense"]

    func linears(_ layer: Layer) -> [(module: String, path: WritableKeyPath<Layer, Linear>)] {
        [("attention.self.query", \.q), ("attention.self.key", \.k), ("attention.self.value", \.v),
         ("attention.output.dense", \.o), ("intermediate.dense", \.up), ("output.dense", \.down)]
    }

    /// The encoder's parameters (`.all`) or adapters (`.adapters`), in checkpoint order.
    func encoderParameters(_ set: TrainableSet) -> [Parameter] {
        var all: [Parameter] = []
        func norm(_ name: String, _ n: LayerNormWeights) {
            all += [Parameter(name: name + ".weight", value: n.weight), Parameter(name: name + ".bias", value: n.bias)]
        }
        func linear(_ l: Linear) {
            switch set {
            case .all:
                all.append(Parameter(name: l.name + ".weight", value: l.weight))
                if let bias = l.bias { all.append(Parameter(name: l.name + ".bias", value: bias)) }
            case .adapters:
                guard let lora = l.lora else { return }
                all += [Parameter(name: l.name + ".lora_A.weight", value: lora.a),
                        Parameter(name: l.name + ".lora_B.weight", value: lora.b)]
            }
        }
        if set == .all {
            let e = prefix + "embeddings."
            all += [Parameter(name: e + "word_embeddings.weight", value: wordEmbeddings),
                    Parameter(name: e + "position_embeddings.weight", value: positionEmbeddings),
                    Parameter(name: e + "token_type_embeddings.weight", value: typeEmbeddings)]
            norm(e + "LayerNorm", embeddingNorm)
        }
        for (i, layer) in layers.enumerated() {
            let p = prefix + "encoder.layer.\(i)."
            linear(layer.q); linear(layer.k); linear(layer.v); linear(layer.o)
            if set == .all { norm(p + "attention.output.LayerNorm", layer.attnNorm) }
            linear(layer.up); linear(layer.down)
            if set == .all { norm(p + "output.LayerNorm", layer.outNorm) }
        }
        if let pooler { linear(pooler) }
        return all
    }

    func attachEncoderAdapters(_ settings: LoRAConfiguration, weights: inout [String: Tensor]?, seed: UInt64) throws {
        try settings.check(targets: Self.adapterTargets, family: "BERT")
        var random = Xoshiro256(seed: seed)
        for i in layers.indices {
            for (module, path) in linears(layers[i]) where settings.targets.contains(where: { ("." + module).hasSuffix("." + $0) }) {
                layers[i][keyPath: path].lora = try layers[i][keyPath: path].makeAdapter(settings, saved: &weights,
                                                                                        random: &random, backend: backend)
            }
        }
    }

    /// What one layer's backward needs from its forward (attention's output comes back from
    /// attention's backward).
    struct LayerActivations {
        let x, q, k, v, x1Sum, x1, up, outSum: Tensor
        let adapters: AdapterPass
    }

    /// A training forward pass: the hidden states and every layer's activations.
    struct Tape {
        let packing: Packing
        let embeddingSum: Tensor
        let layers: [LayerActivations]
        let hidden: Tensor                  // [N, D]
    }

    func trainingForward(_ batch: [EncoderInput], training: Bool, dropoutSeed: UInt64) throws -> Tape {
        try validate(batch, typeVocabularySize: config.typeVocabularySize)
        let (b, c) = (trainingBackend, config)
        let p = Packing(batch)
        let sum = b.add(b.add(b.embedding(wordEmbeddings, ids: p.ids), b.embedding(positionEmbeddings, ids: p.positions)),
                        b.embedding(typeEmbeddings, ids: p.typeIDs))
        var x = b.layerNorm(sum, weight: embeddingNorm.weight, bias: embeddingNorm.bias, eps: c.layerNormEps)
        var saved: [LayerActivations] = []
        for (i, layer) in layers.enumerated() {
            let adapters = AdapterPass(linears(layer).map { layer[keyPath: $0.path] }, layer: i, rows: x.rows,
                                       seed: dropoutSeed, training: training, backend: b)
            func apply(_ l: Linear, _ input: Tensor) -> Tensor { adapters.forward(l, input, b) }
            let (q, k, v) = (apply(layer.q, x), apply(layer.k, x), apply(layer.v, x))
            let attn = b.attention(query: q, keys: k, values: v, spans: p.spans, heads: c.headCount, kvHeads: c.headCount,
                                   headDim: c.headDim)
            let x1Sum = b.add(x, apply(layer.o, attn))
            let x1 = b.layerNorm(x1Sum, weight: layer.attnNorm.weight, bias: layer.attnNorm.bias, eps: c.layerNormEps)
            let up = apply(layer.up, x1)                                                // [N, FF]
            let outSum = b.add(x1, apply(layer.down, b.gelu(up, approximation: c.activation)))
            saved.append(LayerActivations(x: x, q: q, k: k, v: v, x1Sum: x1Sum, x1: x1, up: up,
                                          outSum: outSum, adapters: adapters))
            x = b.layerNorm(outSum, weight: layer.outNorm.weight, bias: layer.outNorm.bias, eps: c.layerNormEps)
        }
        return Tape(packing: p, embeddingSum: sum, layers: saved, hidden: x)
    }

    /// Adds every encoder gradient `g` tracks, from d(loss)/d(hidden states).
    func backward(_ tape: Tape, dHidden: Tensor, _ g: Gradients) {
        let (b, c) = (trainingBackend, config)
        var dx = dHidden
        for (i, layer) in layers.enumerated().reversed() {
            let a = tape.layers[i]
            func back(_ l: Linear, _ input: Tensor, _ dy: Tensor) -> Tensor { a.adapters.backward(l, input, dy, g, b) }
            // out = LN(x1 + down(gelu(up(x1)))), x1 = LN(x + o(attention(q(x), k(x), v(x)))).
            let dOutSum = b.layerNormBackward(dx, x: a.outSum, weight: layer.outNorm.weight, eps: c.layerNormEps,
                                              weightGradient: g[layer.outNorm.weight], biasGradient: g[layer.outNorm.bias])
            let dHiddenFF = back(layer.down, b.gelu(a.up, approximation: c.activation), dOutSum)
            let dx1 = back(layer.up, a.x1, b.geluBackward(dHiddenFF, x: a.up, approximation: c.activation))
            b.axpy(1, dOutSum, into: dx1)
            let dx1Sum = b.layerNormBackward(dx1, x: a.x1Sum, weight: layer.attnNorm.weight, eps: c.layerNormEps,
                                             weightGradient: g[layer.attnNorm.weight], biasGradient: g[layer.attnNorm.bias])
            let (dq, dk, dv) = a.adapters.backwardOfAttention(layer.o, dx1Sum, g, b) { dAttn, attn in
                b.attentionBackward(dAttn, query: a.q, keys: a.k, values: a.v, spans: tape.packing.spans,
                                    heads: c.headCount, kvHeads: c.headCount, headDim: c.headDim,
                                    scale: 1 / Float(c.headDim).squareRoot(), bias: nil, biasGradient: nil, output: attn)
            }
            dx = back(layer.q, a.x, dq)
            b.axpy(1, back(layer.k, a.x, dk), into: dx)
            b.axpy(1, back(layer.v, a.x, dv), into: dx)
            b.axpy(1, dx1Sum, into: dx)
        }
        let dSum = b.layerNormBackward(dx, x: tape.embeddingSum, weight: embeddingNorm.weight, eps: c.layerNormEps,
                                       weightGradient: g[embeddingNorm.weight], biasGradient: g[embeddingNorm.bias])
        let p = tape.packing
        if let gw = g[wordEmbeddings] { b.embeddingBackward(dSum, ids: p.ids, into: gw) }
        if let gp = g[positionEmbeddings] { b.embeddingBackward(dSum, ids: p.positions, into: gp) }
        if let gt = g[typeEmbeddings] { b.embeddingBackward(dSum, ids: p.typeIDs, into: gt) }
    }
}
