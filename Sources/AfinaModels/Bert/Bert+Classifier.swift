// A new classification head on a pretrained BERT encoder, as
// BertForSequenceClassification.from_pretrained(base, num_labels=N) builds one: the encoder's
// weights (and pooler) reused, the classifier drawn from normal(0, 0.02) with zero bias.
import AfinaTensor
import Foundation

extension Bert: ClassifierBuilding {
    public func addingClassifier(labels: [String], seed: UInt64) throws -> any SequenceClassifier & TrainableEncoder {
        guard labels.count >= 2 else {
            throw ModelError.invalidArgument("a classifier needs at least 2 labels, got \(labels.count)")
        }
        let d = config.hiddenSize
        var random = Xoshiro256(seed: seed)
        /// Box-Muller normal draws with standard deviation 0.02 (transformers' initializer_range).
        func normal(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                let (u, v) = (1 - random.nextDouble(), random.nextDouble())
                return Float(0.02 * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
            }
        }
        var tensors = Dictionary(uniqueKeysWithValues: encoderParameters(.all).map {
            ("bert." + $0.name.dropFirst(prefix.count), $0.value)
        })
        if pooler == nil {
            tensors["bert.pooler.dense.weight"] = backend.tensor(normal(d * d), shape: [d, d])
            tensors["bert.pooler.dense.bias"] = backend.zeros([d])
        }
        tensors["classifier.weight"] = backend.tensor(normal(labels.count * d), shape: [labels.count, d])
        tensors["classifier.bias"] = backend.zeros([labels.count])
        var withLabels = config
        withLabels.labels = labels
        return try BertForSequenceClassification(config: withLabels, weights: WeightTable(tensors, source: "new classifier"),
                                                 backend: backend)
    }
}
