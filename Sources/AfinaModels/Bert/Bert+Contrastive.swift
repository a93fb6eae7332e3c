// Contrastive embedding tuning of a bare BERT encoder, as sentence-transformers'
// MultipleNegativesRankingLoss (Henderson et al. 2017; van den Oord et al. 2018): the first
// half of a batch are anchors, the second half their positives; each anchor's pooled embedding
// is scored against every positive by scaled cosine similarity, and the loss is the
// cross-entropy of picking its own (the other positives are in-batch negatives).
import AfinaTensor

extension Bert: TrainableEncoder {
    public var linearAdapterTargets: [String] { Self.adapterTargets }

    /// Every token through every layer; every query over every key of its sequence.
    public func forwardMultiplyAdds(_ batch: [EncoderInput]) -> ForwardMultiplyAdds {
        let (c, lengths) = (config, batch.map(\.ids.count))
        let inner = c.headCount * c.headDim
        let perToken = c.layerCount * (4 * c.hiddenSize * inner + 2 * c.hiddenSize * c.intermediateSize)
        return ForwardMultiplyAdds(products: Double(lengths.reduce(0, +) * perToken),
                                   attention: 2 * Double(c.layerCount * inner * lengths.map { $0 * $0 }.reduce(0, +)))
    }

    public func parameters(_ set: TrainableSet) -> [Parameter] { encoderParameters(set) }

    public func attachAdapters(_ settings: LoRAConfiguration, weights: [String: Tensor]?, seed: UInt64) throws {
        var remaining = weights
        try attachEncoderAdapters(settings, weights: &remaining, seed: seed)
        try finishAdapters(remaining)
    }

    public func floatCopy() throws -> Bert {
        try Bert(config: config, weights: floatWeights(), backend: backend)
    }

    public func loss(_ batch: [EncoderInput], objective: EncoderObjective, gradients g: Gradients?, lossScale: Float,
                     dropoutSeed: UInt64) throws -> LossTerms {
        guard case let .contrastive(pairs, pooling, scale) = objective, pairs > 0, batch.count == 2 * pairs else {
            throw ModelError.invalidArgument("a bare encoder trains on (anchor, positive) pairs: task embedding")
        }
        let b = trainingBackend
        let tape = try trainingForward(batch, training: g != nil, dropoutSeed: dropoutSeed)
        let d = config.hiddenSize
        let lengths = batch.map(\.ids.count)
        let hidden = b.floats(tape.hidden)
        // Unit vectors of the pooled embeddings; cosine similarity is then a dot product.
        let pooled = SentencePooling(mode: pooling).pool(hidden, lengths: lengths, width: d)
        let norms = pooled.map { v in max(v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot(), 1e-12) }
        let units = zip(pooled, norms).map { v, n in v.map { Double($0) / n } }
        func dot(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
        let scores = (0..<pairs).flatMap { i in (0..<pairs).map { j in Float(Double(scale) * dot(units[i], units[pairs + j])) } }
        let logits = b.tensor(scores, shape: [pairs, pairs])                     // [B, B], then d/dlogits
        let loss = TokenObjective.crossEntropy.loss(logits, targets: (0..<Int32(pairs)).map { $0 }, rows: 0..<pairs,
                                                    backend: b, scale: lossScale)
        guard let g else { return loss }
        let dScores = b.floats(logits).map(Double.init)
        // d unit: anchors dU_a = s dS U_p, positives dU_p = s dSᵀ U_a.
        var dUnits = [[Double]](repeating: [Double](repeating: 0, count: d), count: batch.count)
        for i in 0..<pairs {
            for j in 0..<pairs {
                let ds = Double(scale) * dScores[i * pairs + j]
                for c in 0..<d {
                    dUnits[i][c] += ds * units[pairs + j][c]
                    dUnits[pairs + j][c] += ds * units[i][c]
                }
            }
        }
        // Through u = v / |v| and the pooling back to each token's hidden state.
        var dHidden = [Float](repeating: 0, count: hidden.count), row = 0
        for (k, n) in lengths.enumerated() {
            let along = dot(units[k], dUnits[k])
            let dPooled = (0..<d).map { (dUnits[k][$0] - units[k][$0] * along) / norms[k] }
            switch pooling {
            case .mean:
                for r in row..<row + n { for c in 0..<d { dHidden[r * d + c] = Float(dPooled[c] / Double(n)) } }
            case .cls:
                for c in 0..<d { dHidden[row * d + c] = Float(dPooled[c]) }
            case .max:
                for c in 0..<d {
                    let top = (row..<row + n).max { hidden[$0 * d + c] < hidden[$1 * d + c] }!
                    dHidden[top * d + c] = Float(dPooled[c])
                }
            }
            row += n
        }
        backward(tape, dHidden: b.tensor(dHidden, shape: tape.hidden.shape), g)
        return loss
    }
}
