// Training T5 on the sequence-to-sequence loss. An example arrives as every causal LM's does
// (a TrainingSequence from a prompt/completion record): the tokens before its first target are
// the input, which ends in </s> as the tokenizer writes it (added when the record's rendering
// left it out), and the rest is the output the decoder learns, teacher-forced from the start
// token. Parameters, adapters (peft's T5 module names) and float copies follow the checkpoint.
// Dropout (the checkpoint's dropout_rate) is not applied; adapter dropout is.
import AfinaTensor

extension T5: TrainableModel {
    /// LoRA targets, matched against the end of module names as peft does ("q" is every
    /// attention's query, self and cross).
    public static let adapterTargets = ["q", "k", "v", "o", "wi", "wi_0", "wi_1", "wo"]

    public var defaultAdapterTargets: [String] { ["q", "v"] }
    public var linearAdapterTargets: [String] { Self.adapterTargets }

    /// Each input token (with the </s> appended where missing) through the encoder and the
    /// decoder's cross-attention keys and values; each output token through the decoder
    /// (self-attention, cross-attention's query and output, MLP), each target through the head.
    public func forwardMultiplyAdds(_ batch: [TrainingSequence]) -> ForwardMultiplyAdds {
        let (c, rows) = (config, Seq2SeqBatch(batch, start: decoderStartToken, eos: eosToken))
        let (inner, mlp) = (c.hiddenSize * c.innerSize, (c.gated ? 3 : 2) * c.hiddenSize * c.intermediateSize)
        var products = rows.targetRows.count * c.vocabularySize * c.hiddenSize, pairs = 0
        for (input, output) in zip(rows.inputs.map(\.count), rows.outputs.map(\.count)) {
            products += input * (c.encoderLayerCount * (4 * inner + mlp) + c.decoderLayerCount * 2 * inner)
                + output * c.decoderLayerCount * (6 * inner + mlp)
            pairs += c.encoderLayerCount * input * input + c.decoderLayerCount * (output * (output + 1) / 2 + output * input)
        }
        return ForwardMultiplyAdds(products: Double(products), attention: 2 * Double(c.innerSize * pairs))
    }

    public var dimensions: ModelDimensions {
        let c = config
        return ModelDimensions(layerCount: c.encoderLayerCount + c.decoderLayerCount, hiddenSize: c.hiddenSize,
                               headCount: c.headCount, kvHeadCount: c.headCount, headDim: c.headDim,
                               intermediateSize: c.intermediateSize, vocabularySize: c.vocabularySize)
    }

    /// Both stacks' layers with their checkpoint prefixes and position biases.
    var stacks: [(prefix: String, layers: ReferenceWritableKeyPath<T5, [Layer]>, bias: RelativePositionBias)] {
        [("encoder.block.", \.encoderLayers, encoderBias), ("decoder.block.", \.decoderLayers, decoderBias)]
    }

    public func parameters(_ set: TrainableSet) -> [Parameter] {
        var all: [Parameter] = set == .all ? [Parameter(name: "shared.weight", value: shared)] : []
        for (prefix, path, bias) in stacks {
            for (i, layer) in self[keyPath: path].enumerated() {
                for (_, linearPath) in linears(layer) {
                    let l = layer[keyPath: linearPath]
                    switch set {
                    case .all: all.append(Parameter(name: l.name + ".weight", value: l.weight))
                    case .adapters:
                        guard let lora = l.lora else { continue }
                        all += [Parameter(name: l.name + ".lora_A.weight", value: lora.a),
                                Parameter(name: l.name + ".lora_B.weight", value: lora.b)]
                    }
                }
                guard set == .all else { continue }
                for (module, weight) in norms(layer) { all.append(Parameter(name: "\(prefix)\(i).\(module).weight", value: weight)) }
                if i == 0 {
                    all.append(Parameter(name: "\(prefix)0.layer.0.SelfAttention.relative_attention_bias.weight", value: bias.weight))
                }
            }
        }
        if set == .all {
            all += [Parameter(name: "encoder.final_layer_norm.weight", value: encoderNorm),
                    Parameter(name: "decoder.final_layer_norm.weight", value: decoderNorm)]
            if head !== shared { all.append(Parameter(name: "lm_head.weight", value: head)) }
        }
        return all
    }

    public func attachAdapters(_ settings: LoRAConfiguration, weights: [String: Tensor]?, seed: UInt64) throws {
        try settings.check(targets: Self.adapterTargets, family: "T5")
        var random = Xoshiro256(seed: seed)
        var remaining = weights
        for (_, path, _) in stacks {
            for i in self[keyPath: path].indices {
                for (module, linear) in linears(self[keyPath: path][i])
                where settings.targets.contains(where: { module.hasSuffix("." + $0) }) {
                    self[keyPath: path][i][keyPath: linear].lora = try self[keyPath: path][i][keyPath: linear]
                        .makeAdapter(settings, saved: &remaining, random: &random, backend: backend)
                }
            }
        }
        if let left = remaining, !left.isEmpty { throw ModelError.unexpectedWeights(left.keys.sorted(), source: "adapter") }
        for p in parameters(.all) { backend.declareWeight(p.value) }
    }

    public func floatCopy() throws -> T5 {
        try T5(config: config, weights: floatWeights(parameters(.all), backend: backend), backend: backend)
    }

    /// The inputs, the teacher-forced outputs and the rows that carry loss of a batch.
    struct Seq2SeqBatch {
        var inputs: [[Int32]] = [], outputs: [[Int32]] = []
        var targetRows: [Int] = [], targetIDs: [Int32] = []

        init(_ batch: [TrainingSequence], start: Int32, eos: Int32) {
            for seq in batch {
                guard let first = seq.targets.indices.dropFirst().first(where: { seq.targets[$0] }) else { continue }
                var input = Array(seq.tokens[..<first])
                if input.last != eos { input.append(eos) }
                let output = Array(seq.tokens[first...])
                let row = outputs.map(\.count).reduce(0, +)
                for (j, token) in output.enumerated() where seq.targets[first + j] {
                    targetRows.append(row + j)
                    targetIDs.append(token)
                }
                inputs.append(input)
                outputs.append([start] + output.dropLast())
            }
        }

        /// Each output's causal span, and its span over its input's encoder rows.
        var spans: (decoder: [AttentionSpan], cross: [AttentionSpan]) {
            var (decoder, cross, row, inputRow) = ([AttentionSpan](), [AttentionSpan](), 0, 0)
            for (input, output) in zip(inputs, outputs) {
                decoder.append(AttentionSpan(queryRow: row, count: output.count, keyRow: row, past: 0))
                cross.append(AttentionSpan(queryRow: row, count: output.count, keyRow: inputRow, past: 0,
                                           mask: .bidirectional(keys: input.count)))
                (row, inputRow) = (row + output.count, inputRow + input.count)
            }
            return (decoder, cross)
        }
    }

    /// What a training forward keeps of each layer for backward: nothing (no gradients), its
    /// tape, or only its input, the rest recomputed during backward (activation checkpointing).
    enum Keep { case nothing, tapes, inputs }

    /// A layer's tape, or the input it is recomputed from.
    enum Saved {
        case tape(LayerTape), input(Tensor)
    }

    /// Both stacks' forward passes and what was kept of each layer.
    struct Tape {
        let encoderPass, decoderPass: StackPass
        var encoderLayers: [Saved] = [], decoderLayers: [Saved] = []
        let encoderOut, encoded, decoderOut: Tensor          // last encoder layer's output, normed; last decoder layer's
    }

    /// The tape of layer `index` of a stack, recomputed from its input when only that was kept.
    func tape(_ saved: Saved, _ layer: Layer, index: Int, _ pass: StackPass) -> LayerTape {
        switch saved {
        case .tape(let tape): tape
        case .input(let x): trainingForward(layer, index: index, x, pass, training: true).1
        }
    }

    /// Lengths are not held to `maxPositions` here: relative positions reach any length, and
    /// the run's data.max_length bounds what it trains on.
    func trainingForward(_ batch: Seq2SeqBatch, keep: Keep, dropoutSeed: UInt64) -> Tape {
        let b = trainingBackend
        let spans = batch.spans
        let encoderPass = StackPass(spans: Self.spans(batch.inputs),
                                    bias: encoderBias.attentionBias(positions: batch.inputs.map(\.count).max()!, backend: b),
                                    encoded: nil, crossSpans: [], dropoutSeed: dropoutSeed)
        var x = b.embedding(shared, ids: batch.inputs.flatMap { $0 })
        func kept(_ x: Tensor, _ tape: LayerTape) -> [Saved] {
            switch keep {
            case .nothing: []
            case .tapes: [.tape(tape)]
            case .inputs: [.input(x)]
            }
        }
        var encoderSaved: [Saved] = []
        for (i, layer) in encoderLayers.enumerated() {
            let (out, tape) = trainingForward(layer, index: i, x, encoderPass, training: keep != .nothing)
            encoderSaved += kept(x, tape)
            x = out
        }
        let encoderOut = x, encoded = norm(x, encoderNorm)
        let decoderPass = StackPass(spans: spans.decoder,
                                    bias: decoderBias.attentionBias(positions: batch.outputs.map(\.count).max()!, backend: b),
                                    encoded: encoded, crossSpans: spans.cross, dropoutSeed: dropoutSeed)
        var y = b.embedding(shared, ids: batch.outputs.flatMap { $0 })
        var decoderSaved: [Saved] = []
        for (i, layer) in decoderLayers.enumerated() {
            let (out, tape) = trainingForward(layer, index: encoderLayers.count + i, y, decoderPass, training: keep != .nothing)
            decoderSaved += kept(y, tape)
            y = out
        }
        return Tape(encoderPass: encoderPass, decoderPass: decoderPass, encoderLayers: encoderSaved, decoderLayers: decoderSaved,
                    encoderOut: encoderOut, encoded: encoded, decoderOut: y)
    }

    public func loss(_ batch: [TrainingSequence], objective: TokenObjective, gradients g: Gradients?, lossScale: Float,
                     dropoutSeed: UInt64, recompute: Bool) -> LossTerms {
        let b = trainingBackend
        let rows = Seq2SeqBatch(batch, start: decoderStartToken, eos: eosToken)
        guard !rows.targetRows.isEmpty else { return LossTerms(total: 0) }
        let tape = trainingForward(rows, keep: g == nil ? .nothing : recompute ? .inputs : .tapes, dropoutSeed: dropoutSeed)
        // The head and loss a chunk of target rows at a time, so [rows, V] logits stay small:
        // logits = (s · norm(h)) Hᵀ, s = d_model^-1/2 when the config scales.
        var loss = LossTerms(total: 0)
        var dy = b.zeros(g == nil ? [0, config.hiddenSize] : tape.decoderOut.shape)
        let chunkRows = TokenObjective.chunkRows(headTrains: g?[head] != nil, recompute: recompute)
        for start in stride(from: 0, to: rows.targetRows.count, by: chunkRows) {
            let range = start..<min(start + chunkRows, rows.targetRows.count)
            let chunk = Array(rows.targetRows[range])
            let hidden = b.gatherRows(tape.decoderOut, chunk)                          // [T, D]
            let scaled = scaledOutput(norm(hidden, decoderNorm))
            let logits = b.linear(scaled, weight: head, bias: nil)                     // then d/dlogits
            loss += objective.loss(logits, targets: Array(rows.targetIDs[range]), rows: range, backend: b, scale: lossScale)
            guard let g else { continue }
            if let gh = g[head] { b.accumulateWeightGradient(logits, scaled, alpha: 1, into: gh) }
            let dScaled = b.matmul(logits, head)
            if config.scalesDecoderOutput { b.scale(dScaled, by: decoderOutputScale) }
            b.copyRows(b.rmsNormBackward(dScaled, x: hidden, weight: decoderNorm, eps: config.layerNormEps,
                                         weightGradient: g[decoderNorm]), into: dy, at: chunk)
        }
        guard let g else { return loss }
        let dEncoded = b.zeros(tape.encoded.shape)
        let decoderBiasGradient = b.zeros(tape.decoderPass.bias.table.shape)
        for (i, layer) in decoderLayers.enumerated().reversed() {
            let saved = self.tape(tape.decoderLayers[i], layer, index: encoderLayers.count + i, tape.decoderPass)
            dy = trainingBackward(layer, dy, saved, tape.decoderPass, biasGradient: decoderBiasGradient,
                                  dEncoded: dEncoded, g)
        }
        if let gBias = g[decoderBias.weight] { decoderBias.backward(decoderBiasGradient, into: gBias, backend: b) }
        if let gShared = g[shared] { b.embeddingBackward(dy, ids: rows.outputs.flatMap { $0 }, into: gShared) }
        var dx = b.rmsNormBackward(dEncoded, x: tape.encoderOut, weight: encoderNorm, eps: config.layerNormEps,
                                   weightGradient: g[encoderNorm])
        let encoderBiasGradient = b.zeros(tape.encoderPass.bias.table.shape)
        for (i, layer) in encoderLayers.enumerated().reversed() {
            let saved = self.tape(tape.encoderLayers[i], layer, index: i, tape.encoderPass)
            dx = trainingBackward(layer, dx, saved, tape.encoderPass, biasGradient: encoderBiasGradient,
                                  dEncoded: nil, g)
        }
        if let gBias = g[encoderBias.weight] { encoderBias.backward(encoderBiasGradient, into: gBias, backend: b) }
        if let gShared = g[shared] { b.embeddingBackward(dx, ids: rows.inputs.flatMap { $0 }, into: gShared) }
        return loss
    }

    public func targetLogits(_ batch: [TrainingSequence]) -> Tensor {
        let rows = Seq2SeqBatch(batch, start: decoderStartToken, eos: eosToken)
        guard !rows.targetRows.isEmpty else { return backend.zeros([0, vocabularySize]) }
        let tape = trainingForward(rows, keep: .nothing, dropoutSeed: 0)
        return logits(decoderStates: backend.gatherRows(tape.decoderOut, rows.targetRows))
    }
}
