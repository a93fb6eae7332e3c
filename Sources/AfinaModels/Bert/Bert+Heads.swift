// The BERT task models, as transformers' BertForSequenceClassification (classifier over the
// pooled [CLS] state) and BertForMaskedLM (dense -> GELU -> LayerNorm -> vocabulary, the
// decoder tied to the word embeddings unless the checkpoint has its own).
import AfinaTensor

/// A BERT encoder with a classification head.
public final class BertForSequenceClassification: SequenceClassifier, @unchecked Sendable {
    public let bert: Bert
    var classifier: Linear      // [labels, D]
    public let labels: [String]

    public var backend: any Backend { bert.backend }
    public var vocabularySize: Int { bert.vocabularySize }
    public var contextLength: Int { bert.contextLength }
    public var hiddenSize: Int { bert.hiddenSize }

    init(config: BertConfig, weights: WeightTable, backend: any Backend) throws {
        var w = weights
        bert = try Bert(config: config, weights: &w, prefix: "bert.", backend: backend)
        guard bert.pooler != nil else { throw ModelError.missingWeight("bert.pooler.dense.weight", source: w.source) }
        let count = w.tensors["classifier.weight"]?.rows ?? 0
        labels = config.labels.count == count ? config.labels : (0..<count).map { "LABEL_\($0)" }
        classifier = Linear(name: "classifier", weight: try w.take("classifier.weight", shape: [count, config.hiddenSize]),
                            bias: try w.take("classifier.bias", shape: [count]))
        try w.finish()
    }

    public func hiddenStates(_ batch: [EncoderInput]) throws -> Tensor { try bert.hiddenStates(batch) }

    public func classificationLogits(_ batch: [EncoderInput]) throws -> Tensor {
        let pooled = try bert.pooled(try bert.hiddenStates(batch), Bert.Packing(batch)).pooled  // [B, D]
        return classifier(pooled, backend)                                                   // [B, labels]
    }
}

/// A BERT encoder with its masked-language-model head.
public final class BertForMaskedLM: MaskedLM, @unchecked Sendable {
    public let bert: Bert
    var transform: Linear                   // [D, D]
    let transformNorm: LayerNormWeights
    let decoder: Tensor                     // [V, D], the word embeddings when tied
    let decoderBias: Tensor                 // [V]

    public var backend: any Backend { bert.backend }
    public var vocabularySize: Int { bert.vocabularySize }
    public var contextLength: Int { bert.contextLength }
    public var hiddenSize: Int { bert.hiddenSize }

    init(config: BertConfig, weights: WeightTable, tied: Bool, backend: any Backend) throws {
        var w = weights
        bert = try Bert(config: config, weights: &w, prefix: "bert.", backend: backend)
        let (d, v) = (config.hiddenSize, config.vocabularySize)
        let p = "cls.predictions."
        transform = Linear(name: p + "transform.dense", weight: try w.take(p + "transform.dense.weight", shape: [d, d]),
                           bias: try w.take(p + "transform.dense.bias", shape: [d]))
        transformNorm = LayerNormWeights(weight: try w.take(p + "transform.LayerNorm.weight", shape: [d]),
                                         bias: try w.take(p + "transform.LayerNorm.bias", shape: [d]))
        // A tied checkpoint may still carry copies of the decoder; the embeddings are used.
        let ownDecoder = try w.takeIfPresent(p + "decoder.weight", shape: [v, d])
        decoder = tied ? bert.wordEmbeddings : try ownDecoder ?? w.take(p + "decoder.weight", shape: [v, d])
        // transformers ties decoder.bias to predictions.bias; a file holds either or both.
        let decoderOwnBias = try w.takeIfPresent(p + "decoder.bias", shape: [v])
        decoderBias = try w.takeIfPresent(p + "bias", shape: [v]) ?? decoderOwnBias ?? w.take(p + "bias", shape: [v])
        try w.finish()
    }

    public func hiddenStates(_ batch: [EncoderInput]) throws -> Tensor { try bert.hiddenStates(batch) }

    public func maskedLogits(_ batch: [EncoderInput], rows: [Int]) throws -> Tensor {
        try head(try bert.hiddenStates(batch), rows: rows).logits
    }

    /// The prediction head at `rows` of the hidden states, keeping what its backward needs:
    /// dense -> GELU -> LayerNorm -> vocabulary.
    func head(_ all: Tensor, rows: [Int]) throws -> (hidden: Tensor, transformed: Tensor, activated: Tensor,
                                                       normed: Tensor, logits: Tensor) {
        let (b, c) = (backend, bert.config)
        if let bad = rows.first(where: { !(0..<all.rows).contains($0) }) {
            throw ModelError.invalidArgument("masked row \(bad) is outside the batch's \(all.rows) tokens")
        }
        let hidden = b.gatherRows(all, rows)                                                   // [R, D]
        let transformed = transform(hidden, b)
        let activated = b.gelu(transformed, approximation: c.activation)
        let normed = b.layerNorm(activated, weight: transformNorm.weight, bias: transformNorm.bias, eps: c.layerNormEps)
        return (hidden, transformed, activated, normed, b.linear(normed, weight: decoder, bias: decoderBias))  // [R, V]
    }
}
