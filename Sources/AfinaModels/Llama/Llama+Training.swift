// Training the Llama family: one layer's forward, keeping what backward needs, and its
// backward. The packed batch, the loss over the layers, the output head, parameters and
// adapters are every decoder's (Training/DecoderTraining.swift).
import AfinaTensor

extension Llama: TrainableDecoder {
    public var dimensions: ModelDimensions { config.dimensions }

    var normEps: Float { config.rmsNormEps }
    var embeddingScale: Float { 1 }

    func rebuilt(from weights: WeightTable) throws -> Llama { try Llama(config: config, weights: weights, backend: backend) }

    /// What one layer's backward needs from its forward. The norms' outputs and the SwiGLU
    /// product are cheap elementwise work, so backward recomputes them instead of keeping
    /// them (a third less activation memory); attention's output comes back from attention's
    /// backward, which recomputes the probabilities anyway (a tenth less again).
    struct LayerActivations {
        let x, q, k, v, x1, gate, up: Tensor
        let adapters: AdapterPass
    }

    func forward(layer i: Int, _ x: Tensor, _ p: Packing, training: Bool) -> (Tensor, LayerActivations) {
        let (b, c, layer) = (trainingBackend, config, layers[i])
        let adapters = AdapterPass(layer.linearLayers, layer: i, rows: x.rows, seed: p.dropoutSeed, training: training,
                                   backend: b)
        func apply(_ l: Linear, _ input: Tensor) -> Tensor { adapters.forward(l, input, b) }
        let attnIn = b.rmsNorm(x, weight: layer.attnNorm, eps: c.rmsNormEps)           // [N, D]
        let q = b.rope(apply(layer.q, attnIn), positions: p.positions, headDim: c.headDim, invFreq: invFreq)
        let k = b.rope(apply(layer.k, attnIn), positions: p.positions, headDim: c.headDim, invFreq: invFreq)
        let v = apply(layer.v, attnIn)                                                 // [N, Hkv*hd]
        let attn = b.attention(query: q, keys: k, values: v, spans: p.spans,           // [N, H*hd]
                               heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim)
        let x1 = b.add(x, apply(layer.o, attn))
        let mlpIn = b.rmsNorm(x1, weight: layer.mlpNorm, eps: c.rmsNormEps)
        let gate = apply(layer.gate, mlpIn), up = apply(layer.up, mlpIn)              // [N, FF]
        let hidden = b.swiglu(gate: gate, up: up)
        let out = b.add(x1, apply(layer.down, hidden))
        return (out, LayerActivations(x: x, q: q, k: k, v: v, x1: x1, gate: gate, up: up, adapters: adapters))
    }

    func backward(layer i: Int, _ dOut: Tensor, _ a: LayerActivations, _ p: Packing, _ g: Gradients) -> Tensor {
        let (b, c, layer) = (trainingBackend, config, layers[i])
        func back(_ l: Linear, _ input: Tensor, _ dy: Tensor) -> Tensor { a.adapters.backward(l, input, dy, g, b) }
        // MLP: out = x1 + down(swiglu(gate(mlpIn), up(mlpIn))), mlpIn = rmsNorm(x1).
        let dHidden = back(layer.down, b.swiglu(gate: a.gate, up: a.up), dOut)
        let (dGate, dUp) = b.swigluBackward(dHidden, gate: a.gate, up: a.up)
        let mlpIn = b.rmsNorm(a.x1, weight: layer.mlpNorm, eps: c.rmsNormEps)
        let dMlpIn = back(layer.gate, mlpIn, dGate)
        b.axpy(1, back(layer.up, mlpIn, dUp), into: dMlpIn)
        let dx1 = b.rmsNormBackward(dMlpIn, x: a.x1, weight: layer.mlpNorm, eps: c.rmsNormEps,
                                    weightGradient: g[layer.mlpNorm])
        b.axpy(1, dOut, into: dx1)
        // Attention: x1 = x + o(attention(rope(q(attnIn)), rope(k(attnIn)), v(attnIn))). o's
        // input, attention's output, comes back from attention's backward.
        let (dq, dk, dv) = a.adapters.backwardOfAttention(layer.o, dx1, g, b) { dAttn, attn in
            b.attentionBackward(dAttn, query: a.q, keys: a.k, values: a.v, spans: p.spans, heads: c.headCount,
                                kvHeads: c.kvHeadCount, headDim: c.headDim, scale: 1 / Float(c.headDim).squareRoot(),
                                bias: nil, biasGradient: nil, output: attn)
        }
        // RoPE's backward is the opposite rotation: negated inverse frequencies.
        let inverse = invFreq.map { -$0 }
        let attnIn = b.rmsNorm(a.x, weight: layer.attnNorm, eps: c.rmsNormEps)
        let dAttnIn = back(layer.q, attnIn, b.rope(dq, positions: p.positions, headDim: c.headDim, invFreq: inverse))
        b.axpy(1, back(layer.k, attnIn, b.rope(dk, positions: p.positions, headDim: c.headDim, invFreq: inverse)),
               into: dAttnIn)
        b.axpy(1, back(layer.v, attnIn, dv), into: dAttnIn)
        let dx = b.rmsNormBackward(dAttnIn, x: a.x, weight: layer.attnNorm, eps: c.rmsNormEps,
                                   weightGradient: g[layer.attnNorm])
        b.axpy(1, dx1, into: dx)
        return dx
    }
}

// The writers that complete the conformance are in Export/ (HuggingFaceDirectory.swift,
// Llama+GGUF.swift); the rest is every decoder's (Training/DecoderTraining.swift).
extension Llama: ExportableModel {}
