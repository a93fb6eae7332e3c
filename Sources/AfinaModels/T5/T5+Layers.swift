// One T5 layer's training forward, keeping what its backward needs, and its backward, for
// both stacks (an encoder layer has no cross-attention), after llm.c's layer-by-layer walk.
import AfinaTensor

extension T5 {
    /// Where one stack's rows sit: its attention spans and bias, and, in the decoder, the
    /// encoder states and the spans of each output over its input.
    struct StackPass {
        let spans: [AttentionSpan]
        let bias: AttentionBias
        let encoded: Tensor?
        let crossSpans: [AttentionSpan]
        let dropoutSeed: UInt64
    }

    /// What one layer's backward needs from its forward (attentions' outputs come back from
    /// attention's backward).
    struct LayerTape {
        let x, q, k, v, x1: Tensor
        /// Cross-attention (decoder): its query, the encoder keys and values, and the residual
        /// after it.
        let cross: (q: Tensor, k: Tensor, v: Tensor, x2: Tensor)?
        /// The MLP's activated and linear (gated) projections.
        let activated: Tensor, linear: Tensor?
        let adapters: AdapterPass
    }

    /// The linear layers of a layer with their module paths under it (`layer.0.SelfAttention.q`).
    func linears(_ layer: Layer) -> [(module: String, path: WritableKeyPath<Layer, Linear>)] {
        let f = layer.crossAttention == nil ? "1" : "2"
        var all: [(String, WritableKeyPath<Layer, Linear>)] = [
            ("layer.0.SelfAttention.q", \.selfAttention.q), ("layer.0.SelfAttention.k", \.selfAttention.k),
            ("layer.0.SelfAttention.v", \.selfAttention.v), ("layer.0.SelfAttention.o", \.selfAttention.o),
        ]
        if layer.crossAttention != nil {
            all += [("layer.1.EncDecAttention.q", \.crossAttention!.q), ("layer.1.EncDecAttention.k", \.crossAttention!.k),
                    ("layer.1.EncDecAttention.v", \.crossAttention!.v), ("layer.1.EncDecAttention.o", \.crossAttention!.o)]
        }
        let ff = "layer.\(f).DenseReluDense."
        all.append((ff + (config.gated ? "wi_0" : "wi"), \.feedForward.activated))
        if config.gated { all.append((ff + "wi_1", \.feedForward.linear!)) }
        all.append((ff + "wo", \.feedForward.out))
        return all
    }

    /// The norms of a layer with their module paths under it.
    func norms(_ layer: Layer) -> [(module: String, weight: Tensor)] {
        var all = [("layer.0.layer_norm", layer.selfNorm)]
        if let cross = layer.crossNorm { all.append(("layer.1.layer_norm", cross)) }
        all.append(("layer.\(layer.crossAttention == nil ? 1 : 2).layer_norm", layer.feedForwardNorm))
        return all
    }

    func trainingForward(_ layer: Layer, index: Int, _ x: Tensor, _ pass: StackPass, training: Bool) -> (Tensor, LayerTape) {
        let (b, c) = (trainingBackend, config)
        let adapters = AdapterPass(linears(layer).map { layer[keyPath: $0.path] }, layer: index, rows: x.rows,
                                   seed: pass.dropoutSeed, training: training, backend: b)
        func apply(_ l: Linear, _ input: Tensor) -> Tensor { adapters.forward(l, input, b) }
        func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ spans: [AttentionSpan], _ bias: AttentionBias?) -> Tensor {
            b.attention(query: q, keys: k, values: v, spans: spans, heads: c.headCount, kvHeads: c.headCount,
                        headDim: c.headDim, scale: 1, bias: bias)
        }
        let h = norm(x, layer.selfNorm)
        let a = layer.selfAttention
        let (q, k, v) = (apply(a.q, h), apply(a.k, h), apply(a.v, h))
        let attn = attention(q, k, v, pass.spans, pass.bias)
        var out = b.add(x, apply(a.o, attn))
        let x1 = out
        var cross: (q: Tensor, k: Tensor, v: Tensor, x2: Tensor)?
        if let ca = layer.crossAttention, let encoded = pass.encoded {
            let cq = apply(ca.q, norm(x1, layer.crossNorm!))
            let (ck, cv) = (apply(ca.k, encoded), apply(ca.v, encoded))
            let crossOut = attention(cq, ck, cv, pass.crossSpans, nil)
            out = b.add(x1, apply(ca.o, crossOut))
            cross = (cq, ck, cv, out)
        }
        let f = layer.feedForward, hf = norm(out, layer.feedForwardNorm)
        let activated = apply(f.activated, hf), linear = f.linear.map { apply($0, hf) }
        out = b.add(out, apply(f.out, mlpHidden(activated, linear)))
        return (out, LayerTape(x: x, q: q, k: k, v: v, x1: x1, cross: cross, activated: activated, linear: linear,
                               adapters: adapters))
    }

    /// act(activated), times linear when gated.
    func mlpHidden(_ activated: Tensor, _ linear: Tensor?) -> Tensor {
        let hidden = activate(activated)
        return linear.map { trainingBackend.multiply(hidden, $0) } ?? hidden
    }

    /// d(loss)/d(layer input) from d(loss)/d(layer output), adding weight gradients and, in
    /// the decoder, d(loss)/d(encoder states) into `dEncoded` and the bias table's gradient.
    func trainingBackward(_ layer: Layer, _ dOut: Tensor, _ t: LayerTape, _ pass: StackPass, biasGradient: Tensor,
                          dEncoded: Tensor?, _ g: Gradients) -> Tensor {
        let (b, c) = (trainingBackend, config)
        func back(_ l: Linear, _ input: Tensor, _ dy: Tensor) -> Tensor { t.adapters.backward(l, input, dy, g, b) }
        // o(attention(q, k, v)) backward: attention's output, o's input, comes back from attention's.
        func attentionBackward(_ o: Linear, _ dy: Tensor, _ q: Tensor, _ k: Tensor, _ v: Tensor, _ spans: [AttentionSpan],
                               _ bias: AttentionBias?, _ biasGradient: Tensor?) -> (query: Tensor, keys: Tensor, values: Tensor) {
            t.adapters.backwardOfAttention(o, dy, g, b) { dAttn, output in
                b.attentionBackward(dAttn, query: q, keys: k, values: v, spans: spans, heads: c.headCount,
                                    kvHeads: c.headCount, headDim: c.headDim, scale: 1, bias: bias,
                                    biasGradient: biasGradient, output: output)
            }
        }
        // MLP: out = x2 + wo(mlpHidden(activated(hf), linear(hf))), hf = norm(x2).
        let f = layer.feedForward, x2 = t.cross?.x2 ?? t.x1
        let hf = norm(x2, layer.feedForwardNorm)
        let dHidden = back(f.out, mlpHidden(t.activated, t.linear), dOut)
        let dhf: Tensor
        if let linear = t.linear, let linearLayer = f.linear {
            dhf = back(f.activated, hf, activationBackward(b.multiply(dHidden, linear), t.activated))
            b.axpy(1, back(linearLayer, hf, b.multiply(dHidden, activate(t.activated))), into: dhf)
        } else {
            dhf = back(f.activated, hf, activationBackward(dHidden, t.activated))
        }
        let dx2 = b.rmsNormBackward(dhf, x: x2, weight: layer.feedForwardNorm, eps: c.layerNormEps,
                                    weightGradient: g[layer.feedForwardNorm])
        b.axpy(1, dOut, into: dx2)
        // Cross-attention: x2 = x1 + o(attention(q(norm(x1)), k(encoded), v(encoded))).
        var dx1 = dx2
        if let ca = layer.crossAttention, let cross = t.cross, let encoded = pass.encoded, let dEncoded {
            let (dq, dk, dv) = attentionBackward(ca.o, dx2, cross.q, cross.k, cross.v, pass.crossSpans, nil, nil)
            b.axpy(1, back(ca.k, encoded, dk), into: dEncoded)
            b.axpy(1, back(ca.v, encoded, dv), into: dEncoded)
            dx1 = b.rmsNormBackward(back(ca.q, norm(t.x1, layer.crossNorm!), dq), x: t.x1, weight: layer.crossNorm!,
                                    eps: c.layerNormEps, weightGradient: g[layer.crossNorm!])
            b.axpy(1, dx2, into: dx1)
        }
        // Self-attention: x1 = x + o(attention(q(h), k(h), v(h)) + bias), h = norm(x).
        let a = layer.selfAttention, h = norm(t.x, layer.selfNorm)
        let (dq, dk, dv) = attentionBackward(a.o, dx1, t.q, t.k, t.v, pass.spans, pass.bias, biasGradient)
        let dh = back(a.q, h, dq)
        b.axpy(1, back(a.k, h, dk), into: dh)
        b.axpy(1, back(a.v, h, dv), into: dh)
        let dx = b.rmsNormBackward(dh, x: t.x, weight: layer.selfNorm, eps: c.layerNormEps, weightGradient: g[layer.selfNorm])
        b.axpy(1, dx1, into: dx)
        return dx
    }

    /// d act(x) / dx applied to dy.
    func activationBackward(_ dy: Tensor, _ x: Tensor) -> Tensor {
        switch config.activation {
        case .relu: trainingBackend.reluBackward(dy, y: trainingBackend.relu(x))
        case .gelu(let form): trainingBackend.geluBackward(dy, x: x, approximation: form)
        }
    }
}
