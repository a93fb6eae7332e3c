// One optimizer step at a time for an encoder task (classification or masked-LM): draw
// micro-batches, accumulate gradients, clip, update, as `Trainer` does for decoders. The loss
// is averaged over the predictions of the whole effective batch (sequences for
// classification, masked tokens for masked-LM), so accumulation equals a larger batch.
import AfinaData
import AfinaModels
import AfinaTensor
import Foundation

/// One encoder example: its tokens and, for classification, its class index; for contrastive
/// tuning, the tokens of its positive.
public struct EncoderExample: Sendable, Equatable {
    public var input: EncoderInput
    public var label: Int32?
    public var positive: EncoderInput?

    public init(input: EncoderInput, label: Int32? = nil, positive: EncoderInput? = nil) {
        (self.input, self.label, self.positive) = (input, label, positive)
    }
}

/// What an encoder is trained to do.
enum EncoderTask: Sendable {
    case classification
    case maskedLM(MaskedLMMasking)
    /// In-batch contrastive loss on pooled embeddings (sentence-transformers' scale 20).
    case contrastive(pooling: SentencePooling.Mode, scale: Float)
}

public final class EncoderTrainer: LoopTrainer, @unchecked Sendable {
    public let model: any TrainableEncoder
    public let optimizer: Optimizer
    public let settings: Trainer.Settings
    public let examples: [EncoderExample]
    let task: EncoderTask
    public var sampler: BatchSampler
    let gradients: Gradients

    public var step: Int { optimizer.step }
    public var backend: any TrainingBackend { model.trainingBackend }

    init(model: any TrainableEncoder, optimizer: Optimizer, examples: [EncoderExample], task: EncoderTask,
         settings: Trainer.Settings) {
        (self.model, self.optimizer, self.examples, self.task, self.settings) = (model, optimizer, examples, task, settings)
        sampler = BatchSampler(count: examples.count, seed: settings.seed)
        gradients = Gradients(optimizer.parameters, backend: model.trainingBackend)
        HostBlockPool.keepFreedBlocks(upTo: HostBlockPool.trainingBytes)
    }

    /// A trainer of a sequence classifier (`afina bench train` on an encoder).
    public convenience init(classifier model: any TrainableEncoder, examples: [EncoderExample], settings: Trainer.Settings,
                            optimizer: Optimizer) {
        self.init(model: model, optimizer: optimizer, examples: examples, task: .classification, settings: settings)
    }

    /// The inputs and objective of a micro-batch; masked-LM draws its masks from `seed`.
    func objective(_ batch: [EncoderExample], seed: UInt64) -> (inputs: [EncoderInput], objective: EncoderObjective) {
        switch task {
        case .classification:
            return (batch.map(\.input), .classification(labels: batch.map { $0.label ?? 0 }))
        case .maskedLM(let masking):
            let masked = masking.mask(batch.map(\.input), seed: seed)
            return (masked.inputs, .maskedLM(rows: masked.rows, targets: masked.targets))
        case let .contrastive(pooling, scale):
            return (batch.map(\.input) + batch.compactMap(\.positive), .contrastive(pairs: batch.count, pooling: pooling, scale: scale))
        }
    }

    /// Draws the next effective batch and applies one update. A non-finite loss stops before
    /// the update, so the weights stay as they were.
    public func trainStep() throws -> StepResult {
        let microBatches = (0..<settings.gradAccum).map { i in
            objective(sampler.next(batchSize: settings.batchSize).map { examples[$0] }, seed: seed(i))
        }
        let count = microBatches.map(\.objective.count).reduce(0, +)
        for g in gradients.tensors { backend.zero(g) }
        var lossSum = 0.0
        for (i, batch) in microBatches.enumerated() {
            lossSum += try model.loss(batch.inputs, objective: batch.objective, gradients: gradients,
                                      lossScale: 1 / Float(max(count, 1)), dropoutSeed: seed(i) ^ 0x5EED).total
        }
        let loss = lossSum / Double(max(count, 1))
        let (norm, rate) = try optimizer.update(gradients, loss: loss, settings: settings)
        let tokens = microBatches.map { $0.inputs.map(\.ids.count).reduce(0, +) }.reduce(0, +)
        return StepResult(step: step, loss: loss, learningRate: rate, gradientNorm: norm, tokens: tokens,
                          targetTokens: count, distillation: nil)
    }

    /// Masks and dropout differ per step and micro-batch but repeat on resume.
    private func seed(_ microBatch: Int) -> UInt64 {
        settings.seed &+ UInt64(step * settings.gradAccum + microBatch) &* 0xD1B5_4A32_D192_ED03
    }

    /// Mean loss per prediction over `set` (masked-LM masks drawn from a fixed seed, so every
    /// evaluation sees the same masks), and for classification the predicted class of each.
    public func evaluate(_ set: [EncoderExample]) throws -> (loss: Double, predictions: [Int32]) {
        var (sum, count, predictions) = (0.0, 0, [Int32]())
        for start in stride(from: 0, to: set.count, by: settings.batchSize) {
            let batch = Array(set[start..<min(start + settings.batchSize, set.count)])
            let (inputs, objective) = objective(batch, seed: UInt64(start) &* 0x9E37_79B9)
            count += objective.count
            guard case .classification(let labels) = objective, let classifier = model as? any SequenceClassifier else {
                sum += try model.loss(inputs, objective: objective, gradients: nil, lossScale: 1, dropoutSeed: 0).total
                continue
            }
            // One forward gives both the predictions and (from the same logits) the loss.
            let logits = try classifier.classificationLogits(inputs)                  // [B, classes]
            let values = backend.floats(logits), classes = classifier.labels.count
            predictions += (0..<batch.count).map { r in
                Int32((0..<classes).max { values[r * classes + $0] < values[r * classes + $1] }!)
            }
            sum += TokenObjective.crossEntropy.loss(logits, targets: labels, rows: 0..<labels.count, backend: backend,
                                                    scale: 1).total
        }
        return (count == 0 ? .nan : sum / Double(count), predictions)
    }
}
