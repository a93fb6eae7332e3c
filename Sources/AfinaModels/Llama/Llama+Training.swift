// Training the Llama family: a forward pass that keeps what backward needs, and the backward
// pass as one reverse walk over the layers (after llm.c's gpt2_forward / gpt2_backward).
// Sequences are packed without padding; position ids restart and attention stays within each.
import AfinaTensor

extension Llama: TrainableModel {
    public var trainingBackend: any TrainingBackend {
        guard let b = backend as? any TrainingBackend else { preconditionFailure("\(backend.name) cannot train") }
        return b
    }

    public var dimensions: ModelDimensions {
        ModelDimensions(layerCount: config.layerCount, hiddenSize: config.hiddenSize, headCount: config.headCount,
                        kvHeadCount: config.kvHeadCount, headDim: config.headDim,
                        intermediateSize: config.intermediateSize, vocabularySize: config.vocabularySize)
    }

    public func parameters(_ set: TrainableSet) -> [Parameter] {
        var all: [Parameter] = []
        for (i, layer) in layers.enumerated() {
            let p = "model.layers.\(i)."
            let linears = layer.linears.map { layer[keyPath: $0.path] }
            switch set {
            case .all:
                all.append(Parameter(name: p + "input_layernorm.weight", value: layer.attnNorm))
                all.append(Parameter(name: p + "post_attention_layernorm.weight", value: layer.mlpNorm))
                for l in linears {
                    all.append(Parameter(name: l.name + ".weight", value: l.weight))
                    if let bias = l.bias { all.append(Parameter(name: l.name + ".bias", value: bias)) }
                }
            case .adapters:
                for l in linears {
                    guard let lora = l.lora else { continue }
                    all.append(Parameter(name: l.name + ".lora_A.weight", value: lora.a))
                    all.append(Parameter(name: l.name + ".lora_B.weight", value: lora.b))
                }
            }
        }
        if set == .all {
            all.insert(Parameter(name: "model.embed_tokens.weight", value: embed), at: 0)
            all.append(Parameter(name: "model.norm.weight", value: norm))
            if lmHead !== embed { all.append(Parameter(name: "lm_head.weight", value: lmHead)) }
        }
        return all
    }

    /// What one layer's backward needs from its forward. The norms' outputs and the SwiGLU
    /// product are cheap elementwise work, so backward recomputes them instead of keeping
    /// them (a third less activation memory).
    struct LayerActivations {
        let x, q, k, v, attn, x1, gate, up: Tensor
        let masks: [String: Tensor]     // adapter dropout masks by module name
    }

    /// Where the sequences sit in the packed rows, shared by every layer.
    struct Packing {
        let spans: [AttentionSpan]
        let positions: [Int32]
        let dropoutSeed: UInt64
        /// RoPE's inverse frequencies negated: its backward is the opposite rotation.
        let inverseFrequencies: [Float]
    }

    /// The packed rows of a batch and which of them have targets.
    private struct PackedBatch {
        var ids: [Int32] = [], spans: [AttentionSpan] = [], positions: [Int32] = []
        var targetRows: [Int] = [], targetIDs: [Int32] = []

        init(_ batch: [TrainingSequence]) {
            // The last token predicts nothing, so each sequence enters without it.
            for seq in batch where seq.tokens.count > 1 {
                let n = seq.tokens.count - 1
                spans.append(AttentionSpan(queryRow: ids.count, count: n, keyRow: ids.count, past: 0))
                for i in 1...n where seq.targets[i] {
                    targetRows.append(ids.count + i - 1)
                    targetIDs.append(seq.tokens[i])
                }
                ids += seq.tokens[..<n]
                positions += (0..<Int32(n))
            }
        }
    }

    public func loss(_ batch: [TrainingSequence], objective: TokenObjective, gradients: Gradients?, lossScale: Float,
                     dropoutSeed: UInt64, recompute: Bool) -> LossTerms {
        let b = trainingBackend
        let rows = PackedBatch(batch)
        guard !rows.targetRows.isEmpty else { return LossTerms(total: 0) }
        let packing = Packing(spans: rows.spans, positions: rows.positions, dropoutSeed: dropoutSeed,
                              inverseFrequencies: invFreq.map { -$0 })
        let training = gradients != nil

        var x = b.embedding(embed, ids: rows.ids)                                      // [N, D]
        var saved: [LayerActivations] = [], inputs: [Tensor] = []
        for i in layers.indices {
            let (out, acts) = forward(layer: i, x, packing, training: training)
            if recompute { inputs.append(x) } else if training { saved.append(acts) }
            x = out
        }
        let (loss, dHead) = head(x, rows: rows.targetRows, targets: rows.targetIDs, objective: objective,
                                 gradients: gradients, lossScale: lossScale)
        guard let gradients, var dx = dHead else { return loss }
        for i in layers.indices.reversed() {
            let acts = recompute ? forward(layer: i, inputs[i], packing, training: true).1 : saved.removeLast()
            dx = backward(layer: i, dx, acts, packing, gradients)
        }
        if let g = gradients[embed] { b.embeddingBackward(dx, ids: rows.ids, into: g) }
        return loss
    }

    public func targetLogits(_ batch: [TrainingSequence]) -> Tensor {
        let b = trainingBackend
        let rows = PackedBatch(batch)
        guard !rows.targetRows.isEmpty else { return b.zeros([0, config.vocabularySize]) }
        let packing = Packing(spans: rows.spans, positions: rows.positions, dropoutSeed: 0, inverseFrequencies: [])
        var x = b.embedding(embed, ids: rows.ids)
        for i in layers.indices { x = forward(layer: i, x, packing, training: false).0 }
        let normed = b.rmsNorm(b.gatherRows(x, rows.targetRows), weight: norm, eps: config.rmsNormEps)
        return b.linear(normed, weight: lmHead, bias: nil)                             // [T, V]
    }

    /// Final norm, output head and the loss on the rows that have targets, a chunk of rows
    /// at a time so the [rows, V] logits stay small. Returns the summed loss and d/dx.
    private func head(_ x: Tensor, rows: [Int], targets: [Int32], objective: TokenObjective, gradients: Gradients?,
                      lossScale: Float) -> (LossTerms, Tensor?) {
        let b = trainingBackend
        let dx = gradients.map { _ in b.zeros(x.shape) }
        var loss = LossTerms(total: 0)
        for start in stride(from: 0, to: rows.count, by: 256) {
            let range = start..<min(start + 256, rows.count)
            let chunk = Array(rows[range])
            let hidden = b.gatherRows(x, chunk)                                        // [T, D]
            let normed = b.rmsNorm(hidden, weight: norm, eps: config.rmsNormEps)
            let logits = b.linear(normed, weight: lmHead, bias: nil)                   // [T, V]
            loss += objective.loss(logits, targets: Array(targets[range]), rows: range, backend: b, scale: lossScale)
            guard let gradients, let dx else { continue }
            let dLogits = logits                                                       // overwritten in place
            if let g = gradients[lmHead] { b.accumulateWeightGradient(dLogits, normed, alpha: 1, into: g) }
            let dNormed = b.matmul(dLogits, lmHead)                                    // [T, D]
            let dHidden = b.rmsNormBackward(dNormed, x: hidden, weight: norm, eps: config.rmsNormEps,
                                            weightGradient: gradients[norm])
            b.copyRows(dHidden, into: dx, at: chunk)
        }
        return (loss, dx)
    }

    private func forward(layer i: Int, _ x: Tensor, _ p: Packing, training: Bool) -> (Tensor, LayerActivations) {
        let (b, c, layer) = (trainingBackend, config, layers[i])
        let masks = training ? Linear.dropoutMasks(layer.linears.map { layer[keyPath: $0.path] }, layer: i, rows: x.rows,
                                                   seed: p.dropoutSeed, backend: b) : [:]
        func apply(_ l: Linear, _ input: Tensor) -> Tensor { l(input, b, dropoutMask: masks[l.name]) }
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
        return (out, LayerActivations(x: x, q: q, k: k, v: v, attn: attn, x1: x1, gate: gate, up: up, masks: masks))
    }

    /// d(loss)/d(layer input) from d(loss)/d(layer output), adding weight gradients on the way.
    private func backward(layer i: Int, _ dOut: Tensor, _ a: LayerActivations, _ p: Packing,
                          _ g: Gradients) -> Tensor {
        let (b, c, layer) = (trainingBackend, config, layers[i])
        func back(_ l: Linear, _ input: Tensor, _ dy: Tensor) -> Tensor {
            l.backward(input: input, dy: dy, mask: a.masks[l.name], g, b)
        }
        // MLP: out = x1 + down(swiglu(gate(mlpIn), up(mlpIn))), mlpIn = rmsNorm(x1).
        let dHidden = back(layer.down, b.swiglu(gate: a.gate, up: a.up), dOut)
        let (dGate, dUp) = b.swigluBackward(dHidden, gate: a.gate, up: a.up)
        let mlpIn = b.rmsNorm(a.x1, weight: layer.mlpNorm, eps: c.rmsNormEps)
        let dMlpIn = back(layer.gate, mlpIn, dGate)
        b.axpy(1, back(layer.up, mlpIn, dUp), into: dMlpIn)
        let dx1 = b.rmsNormBackward(dMlpIn, x: a.x1, weight: layer.mlpNorm, eps: c.rmsNormEps,
                                    weightGradient: g[layer.mlpNorm])
        b.axpy(1, dOut, into: dx1)
        // Attention: x1 = x + o(attention(rope(q(attnIn)), rope(k(attnIn)), v(attnIn))).
        let dAttn = back(layer.o, a.attn, dx1)
        let (dq, dk, dv) = b.attentionBackward(dAttn, query: a.q, keys: a.k, values: a.v, spans: p.spans,
                                               heads: c.headCount, kvHeads: c.kvHeadCount, headDim: c.headDim)
        let inverse = p.inverseFrequencies
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
