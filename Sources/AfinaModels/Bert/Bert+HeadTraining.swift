// Training the BERT task models: each head's forward on the encoder's hidden states, the loss
// (TokenObjective, shared with the decoders), and the head's backward into d(hidden states).
import AfinaTensor

extension BertForSequenceClassification: TrainableEncoder {
    public var trainingBackend: any TrainingBackend { bert.trainingBackend }
    public var linearAdapterTargets: [String] { bert.linearAdapterTargets }
    public func forwardMultiplyAdds(_ batch: [EncoderInput]) -> ForwardMultiplyAdds { bert.forwardMultiplyAdds(batch) }

    /// With adapters, the new classifier trains in full (peft's modules_to_save for
    /// sequence classification); the pretrained pooler stays frozen.
    public func parameters(_ set: TrainableSet) -> [Parameter] {
        var head = [Parameter(name: "classifier.weight", value: classifier.weight)]
        if let bias = classifier.bias { head.append(Parameter(name: "classifier.bias", value: bias)) }
        return bert.encoderParameters(set) + head
    }

    public func attachAdapters(_ settings: LoRAConfiguration, weights: [String: Tensor]?, seed: UInt64) throws {
        var remaining = weights
        try bert.attachEncoderAdapters(settings, weights: &remaining, seed: seed)
        // The head trains, so it gets memory of its own: the saved one, or a copy of the loaded one.
        let b = trainingBackend
        func head(_ name: String, _ loaded: Tensor) throws -> Tensor {
            guard let saved = remaining?.removeValue(forKey: name) else { return b.tensor(b.floats(loaded), shape: loaded.shape) }
            guard saved.shape == loaded.shape else {
                throw ModelError.shapeMismatch(name, expected: loaded.shape, found: saved.shape, source: "adapter")
            }
            return saved
        }
        classifier = Linear(name: "classifier", weight: try head("classifier.weight", classifier.weight),
                            bias: try classifier.bias.map { try head("classifier.bias", $0) })
        try finishAdapters(remaining)
    }

    public func loss(_ batch: [EncoderInput], objective: EncoderObjective, gradients g: Gradients?, lossScale: Float,
                     dropoutSeed: UInt64) throws -> LossTerms {
        guard case .classification(let labels) = objective, labels.count == batch.count else {
            throw ModelError.invalidArgument("a sequence classifier trains on one label per sequence")
        }
        if let bad = labels.first(where: { !(0..<Int32(self.labels.count)).contains($0) }) {
            throw ModelError.invalidArgument("label index \(bad) is outside the classifier's \(self.labels.count) labels")
        }
        let b = trainingBackend
        let tape = try bert.trainingForward(batch, training: g != nil, dropoutSeed: dropoutSeed)
        let (first, pooled) = try bert.pooled(tape.hidden, tape.packing)                  // [B, D]
        let logits = classifier(pooled, b)                                               // [B, labels], then d/dlogits
        let loss = TokenObjective.crossEntropy.loss(logits, targets: labels, rows: 0..<labels.count, backend: b,
                                                    scale: lossScale)
        guard let g else { return loss }
        let dPooled = classifier.backward(input: pooled, dy: logits, mask: nil, g, b)
        // pooled(_:_:) has thrown already when there is no pooler.
        let dFirst = bert.pooler!.backward(input: first, dy: b.tanhBackward(dPooled, y: pooled), mask: nil, g, b)
        let dHidden = b.zeros(tape.hidden.shape)
        b.copyRows(dFirst, into: dHidden, at: tape.packing.firstRows)
        bert.backward(tape, dHidden: dHidden, g)
        return loss
    }
}

extension BertForMaskedLM: TrainableEncoder {
    public var trainingBackend: any TrainingBackend { bert.trainingBackend }
    public var linearAdapterTargets: [String] { bert.linearAdapterTargets }
    public func forwardMultiplyAdds(_ batch: [EncoderInput]) -> ForwardMultiplyAdds { bert.forwardMultiplyAdds(batch) }

    /// The prediction head is pretrained: with adapters it stays frozen.
    public func parameters(_ set: TrainableSet) -> [Parameter] {
        var all = bert.encoderParameters(set)
        guard set == .all else { return all }
        all += [Parameter(name: "cls.predictions.transform.dense.weight", value: transform.weight),
                Parameter(name: "cls.predictions.transform.dense.bias", value: transform.bias!),
                Parameter(name: "cls.predictions.transform.LayerNorm.weight", value: transformNorm.weight),
                Parameter(name: "cls.predictions.transform.LayerNorm.bias", value: transformNorm.bias),
                Parameter(name: "cls.predictions.bias", value: decoderBias)]
        if decoder !== bert.wordEmbeddings { all.append(Parameter(name: "cls.predictions.decoder.weight", value: decoder)) }
        return all
    }

    public func attachAdapters(_ settings: LoRAConfiguration, weights: [String: Tensor]?, seed: UInt64) throws {
        var remaining = weights
        try bert.attachEncoderAdapters(settings, weights: &remaining, seed: seed)
        try finishAdapters(remaining)
    }

    public func loss(_ batch: [EncoderInput], objective: EncoderObjective, gradients g: Gradients?, lossScale: Float,
                     dropoutSeed: UInt64) throws -> LossTerms {
        guard case let .maskedLM(rows, targets) = objective, rows.count == targets.count else {
            throw ModelError.invalidArgument("a masked LM trains on target tokens at chosen rows")
        }
        let b = trainingBackend
        let tape = try bert.trainingForward(batch, training: g != nil, dropoutSeed: dropoutSeed)
        guard !rows.isEmpty else { return LossTerms(total: 0) }
        let c = bert.config
        let (hidden, transformed, activated, normed, logits) = try head(tape.hidden, rows: rows)  // logits then d/dlogits
        let loss = TokenObjective.crossEntropy.loss(logits, targets: targets, rows: 0..<rows.count, backend: b,
                                                    scale: lossScale)
        guard let g else { return loss }
        let dNormed = Linear(name: "cls.predictions.decoder", weight: decoder, bias: decoderBias)
            .backward(input: normed, dy: logits, mask: nil, g, b)
        let dActivated = b.layerNormBackward(dNormed, x: activated, weight: transformNorm.weight, eps: c.layerNormEps,
                                             weightGradient: g[transformNorm.weight], biasGradient: g[transformNorm.bias])
        let dRows = transform.backward(input: hidden, dy: b.geluBackward(dActivated, x: transformed, approximation: c.activation),
                                       mask: nil, g, b)
        let dHidden = b.zeros(tape.hidden.shape)
        b.copyRows(dRows, into: dHidden, at: rows)
        bert.backward(tape, dHidden: dHidden, g)
        return loss
    }
}

extension TrainableEncoder {
    /// After the adapters took their weights: anything left over is an error, and every weight
    /// that does not train is declared frozen.
    func finishAdapters(_ remaining: [String: Tensor]?) throws {
        if let left = remaining, !left.isEmpty { throw ModelError.unexpectedWeights(left.keys.sorted(), source: "adapter") }
        let trainable = Set(parameters(.adapters).map { ObjectIdentifier($0.value) })
        for p in parameters(.all) where !trainable.contains(ObjectIdentifier(p.value)) { trainingBackend.declareWeight(p.value) }
    }

    /// Every weight as a float32 table of its own memory, to rebuild a trainable copy from.
    func floatWeights() -> WeightTable { AfinaModels.floatWeights(parameters(.all), backend: trainingBackend) }
}

extension BertForSequenceClassification {
    /// A copy with float32 weights of its own (full fine-tuning).
    public func floatCopy() throws -> BertForSequenceClassification {
        try BertForSequenceClassification(config: bert.config, weights: floatWeights(), backend: backend)
    }
}

extension BertForMaskedLM {
    /// A copy with float32 weights of its own (full fine-tuning).
    public func floatCopy() throws -> BertForMaskedLM {
        try BertForMaskedLM(config: bert.config, weights: floatWeights(), tied: decoder === bert.wordEmbeddings,
                            backend: backend)
    }
}
