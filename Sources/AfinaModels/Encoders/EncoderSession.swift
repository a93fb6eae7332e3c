// Running an encoder on texts as users call it: sentence embeddings (pooled as the
// checkpoint's sentence-transformers files say) and class predictions with probabilities.
// Texts are tokenized with the model's special tokens and truncated to what it can read,
// and run in batches.
import AfinaTokenizers
import Foundation

/// One text's predicted class.
public struct Prediction: Sendable, Equatable, Codable {
    public var label: String
    /// Softmax probability of the label.
    public var score: Double
}

/// An encoder with its tokenizer, ready for texts.
public struct EncoderSession: Sendable {
    public let encoder: any TextEncoder
    public let tokenizer: Tokenizer
    public let pooling: SentencePooling
    /// Longest input in tokens: the model's positions, or sentence-transformers' max_seq_length.
    public let maxLength: Int
    public var batchSize = 32

    public init(_ loaded: LoadedNetwork) throws {
        encoder = try loaded.require((any TextEncoder).self, .encoder)
        tokenizer = loaded.tokenizer
        pooling = try SentencePooling(modelPath: loaded.info.path)
        maxLength = min(encoder.contextLength, pooling.maxSequenceLength ?? .max)
    }

    /// Token ids of each text (with its pair), and how many were cut to `maxLength`.
    public func inputs(_ texts: [String], pairs: [String?]? = nil) -> (inputs: [EncoderInput], truncated: Int) {
        var truncated = 0
        let inputs = texts.indices.map { i in
            let (encoding, cut) = tokenizer.encode(texts[i], pair: pairs?[i] ?? nil, maxLength: maxLength)
            if cut { truncated += 1 }
            return EncoderInput(ids: encoding.ids, typeIDs: encoding.typeIDs)
        }
        return (inputs, truncated)
    }

    /// One embedding per text.
    public func embed(_ texts: [String]) throws -> (embeddings: [[Float]], truncated: Int) {
        let (inputs, truncated) = self.inputs(texts)
        var embeddings: [[Float]] = []
        for start in stride(from: 0, to: inputs.count, by: batchSize) {
            let batch = Array(inputs[start..<min(start + batchSize, inputs.count)])
            let hidden = encoder.backend.floats(try encoder.hiddenStates(batch))
            embeddings += pooling.pool(hidden, lengths: batch.map(\.ids.count), width: encoder.hiddenSize)
        }
        return (embeddings, truncated)
    }

    /// The most probable label of each text (with its pair).
    public func classify(_ texts: [String], pairs: [String?]? = nil) throws -> (predictions: [Prediction], truncated: Int) {
        let (inputs, truncated) = self.inputs(texts, pairs: pairs)
        return (try classify(inputs), truncated)
    }

    /// The most probable label of each tokenized input.
    public func classify(_ inputs: [EncoderInput]) throws -> [Prediction] {
        guard let classifier = encoder as? any SequenceClassifier else {
            throw ModelError.invalidArgument("this model has no classification head: train one with `task: classification`")
        }
        let classes = classifier.labels.count
        var predictions: [Prediction] = []
        for start in stride(from: 0, to: inputs.count, by: batchSize) {
            let batch = Array(inputs[start..<min(start + batchSize, inputs.count)])
            let logits = encoder.backend.floats(try classifier.classificationLogits(batch))
            for r in batch.indices {
                let row = logits[r * classes..<(r + 1) * classes].map(Double.init)
                let top = row.max()!
                let total = row.reduce(0) { $0 + exp($1 - top) }
                let best = row.firstIndex(of: top)!
                predictions.append(Prediction(label: classifier.labels[best], score: 1 / total))
            }
        }
        return predictions
    }
}
