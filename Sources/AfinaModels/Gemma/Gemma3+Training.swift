// Training Gemma 3: one layer's forward, keeping what backward needs, and its backward. The
// packed batch, the loss over the layers, the (tied) output head, parameters and adapters are
// every decoder's (Training/DecoderTraining.swift). The norms hold their factor 1 + w, whose
// gradient is w's.
import AfinaTensor

extension Gemma3: TrainableDecoder {
    public var dimensions: ModelDimensions { config.dimensions }

    var lmHead: Tensor { embed }
    var normEps: Float { config.rmsNormEps }

    func rebuilt(from weights: WeightTable) throws -> Gemma3 {
        try Gemma3(config: config, weights: weights, normsIncludeOne: true, backend: backend)
    }

    /// What one layer's backward needs from its forward. Queries and keys are kept before
    /// their per-head norm and rotation, the norms' inputs rather than outputs, and the GeGLU
    /// product is recomputed: all cheap elementwise work. Attention's output comes back from
    /// attention's backward.
    struct LayerActivations {
        let x, qProj, kProj, v, attnOut, x1, gate, up, mlpOut: Tensor
        let adapters: AdapterPass
    }

    /// Rotary embedding and attention spans of layer i: local layers see a sliding window.
    private func attentionSetting(layer i: Int, _ p: Packing) -> (invFreq: [Float], spans: [AttentionSpan]) {
        config.slidingLayers[i] ? (localInvFreq, p.spans.slidingWindow(config.slidingWindow)) : (globalInvFreq, p.spans)
    }

    /// Per-head RMSNorm then RoPE of q or k projections [N, heads*hd].
    private func normedRotated(_ x: Tensor, _ weight: Tensor, heads: Int, invFreq: [Float], _ p: Packing) -> Tensor {
        backend.rope(headNorm(x, weight, heads: heads), positions: p.positions, headDim: config.headDim, invFreq: invFreq)
    }

    func forward(layer i: Int, _ x: Tensor, _ p: Packing, training: Bool) -> (Tensor, LayerActivations) {
        let (b, c, layer) = (trainingBackend, config, layers[i])
        let (invFreq, spans) = attentionSetting(layer: i, p)
        let adapters = AdapterPass(layer.linearLayers, layer: i, rows: x.rows, seed: p.dropoutSeed, training: training,
                                   backend: b)
        func apply(_ l: Linear, _ input: Tensor) -> Tensor { adapters.forward(l, input, b) }
        let h = b.rmsNorm(x, weight: layer.inputNorm, eps: c.rmsNormEps)                // [N, D]
        let qProj = apply(layer.q, h), kProj = apply(layer.k, h), v = apply(layer.v, h)   // [N, H*hd], [N, Hkv*hd]
        let attn = b.attention(query: normedRotated(qProj, layer.queryNorm, heads: c.headCount, invFreq: invFreq, p),
                               keys: normedRotated(kProj, layer.keyNorm, heads: c.kvHeadCount, invFreq: invFreq, p),
                               values: v, spans: spans, heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim,
                               scale: attentionScale, bias: nil)                          // [N, H*hd]
        let attnOut = apply(layer.o, attn)
        let x1 = b.add(x, b.rmsNorm(attnOut, weight: layer.postAttentionNorm, eps: c.rmsNormEps))
        let m = b.rmsNorm(x1, weight: layer.preFeedforwardNorm, eps: c.rmsNormEps)
        let gate = apply(layer.gate, m), up = apply(layer.up, m)                         // [N, FF]
        let mlpOut = apply(layer.down, b.multiply(b.gelu(gate, approximation: .tanh), up))
        let out = b.add(x1, b.rmsNorm(mlpOut, weight: layer.postFeedforwardNorm, eps: c.rmsNormEps))
        return (out, LayerActivations(x: x, qProj: qProj, kProj: kProj, v: v, attnOut: attnOut, x1: x1,
                                      gate: gate, up: up, mlpOut: mlpOut, adapters: adapters))
    }

    func backward(layer i: Int, _ dOut: Tensor, _ a: LayerActivations, _ p: Packing, _ g: Gradients) -> Tensor {
        let (b, c, layer) = (trainingBackend, config, layers[i])
        let (invFreq, spans) = attentionSetting(layer: i, p)
        func back(_ l: Linear, _ input: Tensor, _ dy: Tensor) -> Tensor { a.adapters.backward(l, input, dy, g, b) }
        func normBack(_ dy: Tensor, _ x: Tensor, _ weight: Tensor) -> Tensor {
            b.rmsNormBackward(dy, x: x, weight: weight, eps: c.rmsNormEps, weightGradient: g[weight])
        }
        // MLP: out = x1 + norm(down(gelu(gate(m)) * up(m))), m = norm(x1).
        let dMlpOut = normBack(dOut, a.mlpOut, layer.postFeedforwardNorm)
        let activated = b.gelu(a.gate, approximation: .tanh)
        let dHidden = back(layer.down, b.multiply(activated, a.up), dMlpOut)
        let dGate = b.geluBackward(b.multiply(dHidden, a.up), x: a.gate, approximation: .tanh)
        let m = b.rmsNorm(a.x1, weight: layer.preFeedforwardNorm, eps: c.rmsNormEps)
        let dm = back(layer.gate, m, dGate)
        b.axpy(1, back(layer.up, m, b.multiply(dHidden, activated)), into: dm)
        let dx1 = normBack(dm, a.x1, layer.preFeedforwardNorm)
        b.axpy(1, dOut, into: dx1)
        // Attention: x1 = x + norm(o(attention(rope(norm(q(h))), rope(norm(k(h))), v(h)))), h = norm(x).
        let dAttnOut = normBack(dx1, a.attnOut, layer.postAttentionNorm)
        let q = normedRotated(a.qProj, layer.queryNorm, heads: c.headCount, invFreq: invFreq, p)
        let k = normedRotated(a.kProj, layer.keyNorm, heads: c.kvHeadCount, invFreq: invFreq, p)
        let (dq, dk, dv) = a.adapters.backwardOfAttention(layer.o, dAttnOut, g, b) { dAttn, attn in
            b.attentionBackward(dAttn, query: q, keys: k, values: a.v, spans: spans, heads: c.headCount,
                                kvHeads: c.kvHeadCount, headDim: c.headDim, scale: attentionScale, bias: nil,
                                biasGradient: nil, output: attn)
        }
        // RoPE's backward is the opposite rotation; the head norms' backward runs per head row.
        let inverse = invFreq.map { -$0 }
        func headBack(_ dy: Tensor, _ x: Tensor, _ weight: Tensor, heads: Int) -> Tensor {
            let rows = [x.rows * heads, c.headDim]
            let dRotated = b.rope(dy, positions: p.positions, headDim: c.headDim, invFreq: inverse)
            return normBack(dRotated.reshaped(rows), x.reshaped(rows), weight).reshaped(x.shape)
        }
        let h = b.rmsNorm(a.x, weight: layer.inputNorm, eps: c.rmsNormEps)
        let dh = back(layer.q, h, headBack(dq, a.qProj, layer.queryNorm, heads: c.headCount))
        b.axpy(1, back(layer.k, h, headBack(dk, a.kProj, layer.keyNorm, heads: c.kvHeadCount)), into: dh)
        b.axpy(1, back(layer.v, h, dv), into: dh)
        let dx = normBack(dh, a.x, layer.inputNorm)
        b.axpy(1, dx1, into: dx)
        return dx
    }
}
