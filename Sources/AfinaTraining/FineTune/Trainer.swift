// One optimizer step at a time: draw micro-batches, accumulate gradients, clip, update.
// The loss is averaged over the target tokens of the whole effective batch (all k
// micro-batches), so accumulating k micro-batches equals one k-times larger batch.
// Data-parallel (under mpirun): every rank draws the same micro-batches, runs its share of
// the rows of each, and the gradients are summed over ranks before the update; since every
// rank scales its loss by the target count of the whole effective batch, the sum is the
// one-process gradient (up to float rounding), whatever the number of ranks.
import AfinaData
import AfinaDistributed
import AfinaModels
import AfinaTensor
import Foundation

/// What one optimizer step did.
public struct StepResult: Sendable {
    public var step: Int
    /// Mean cross-entropy per target token.
    public var loss: Double
    public var learningRate: Double
    /// Global gradient norm before clipping.
    public var gradientNorm: Double
    /// Tokens the model read (inputs), and how many of them had targets.
    public var tokens: Int
    public var targetTokens: Int
    /// With distillation: the summed cross-entropy, divergence and top-1 agreements.
    public var distillation: DistillationTerms?
    /// Data-parallel: seconds spent summing over the ranks (gradients and loss).
    public var allReduceSeconds: Double?
}

public final class Trainer: LoopTrainer, @unchecked Sendable {
    public struct Settings: Sendable {
        public var batchSize: Int
        public var gradAccum: Int
        public var learningRate: Double
        public var schedule: LearningRateSchedule
        public var warmupSteps: Int
        public var totalSteps: Int
        public var maxGradNorm: Double
        public var seed: UInt64
        /// Recompute activations during backward (less memory, about a third more compute).
        public var recompute: Bool
        /// Most tokens one forward/backward pass holds activations for: a micro-batch with
        /// more is split into passes whose gradients add up (exact, since the loss is a sum
        /// scaled by the effective batch's target count). Products of 512 rows still run at
        /// full BLAS speed, and activation memory stops growing with the batch.
        public var tokensPerPass: Int

        /// The learning rate of update `k` (1-based).
        public func learningRate(forUpdate k: Int) -> Double {
            learningRate * schedule.multiplier(step: k - 1, warmupSteps: warmupSteps, totalSteps: totalSteps)
        }

        public init(batchSize: Int, gradAccum: Int, learningRate: Double, schedule: LearningRateSchedule,
                    warmupSteps: Int, totalSteps: Int, maxGradNorm: Double, seed: UInt64, recompute: Bool,
                    tokensPerPass: Int = 512) {
            (self.batchSize, self.gradAccum, self.learningRate, self.schedule) = (batchSize, gradAccum, learningRate, schedule)
            (self.warmupSteps, self.totalSteps, self.maxGradNorm) = (warmupSteps, totalSteps, maxGradNorm)
            (self.seed, self.recompute, self.tokensPerPass) = (seed, recompute, tokensPerPass)
        }
    }

    public let model: any TrainableModel
    public let optimizer: Optimizer
    public let settings: Settings
    public let examples: [TrainingSequence]
    /// Logit-level distillation, when a teacher guides the student.
    public let distillation: Distillation?
    /// The data position: which examples come next (saved in checkpoints).
    public var sampler: BatchSampler
    /// The processes sharing each batch, or nil for one process.
    public let group: ProcessGroup?
    let gradients: Gradients

    public var step: Int { optimizer.step }
    public var backend: any TrainingBackend { model.trainingBackend }

    public init(model: any TrainableModel, optimizer: Optimizer, examples: [TrainingSequence], settings: Settings,
                distillation: Distillation? = nil, group: ProcessGroup? = nil) {
        (self.model, self.optimizer, self.examples, self.settings) = (model, optimizer, examples, settings)
        (self.distillation, self.group) = (distillation, group)
        sampler = BatchSampler(count: examples.count, seed: settings.seed)
        gradients = Gradients(optimizer.parameters, backend: model.trainingBackend)
        HostBlockPool.keepFreedBlocks(upTo: HostBlockPool.trainingBytes)
    }

    /// Draws the next effective batch and applies one update. A non-finite loss stops before
    /// the update, so the weights stay as they were.
    public func trainStep() throws -> StepResult {
        let drawn = (0..<settings.gradAccum).map { _ in sampler.next(batchSize: settings.batchSize) }
        var microBatches = drawn.map { $0.map { examples[$0] } }
        // GKD: some micro-batches are answered by the student itself (no example indices then).
        // Every rank samples the whole micro-batch (same seeds, same answers) and trains its share.
        var indices: [[Int]?] = drawn
        if let distillation, let sampling = distillation.sampling {
            for i in microBatches.indices where distillation.isOnPolicy(update: step, microBatch: i, seed: settings.seed) {
                microBatches[i] = try sampling.sample(microBatches[i], student: model, seed: passSeed(i, 0) ^ 0x5A3C)
                indices[i] = nil
            }
        }
        let targetCount = microBatches.joined().map(\.targetCount).reduce(0, +)
        let tokens = microBatches.joined().map { $0.tokens.count - 1 }.reduce(0, +)
        for g in gradients.tensors { backend.zero(g) }
        var lossSum: Double = 0
        var terms: DistillationTerms?
        for (i, microBatch) in microBatches.enumerated() {
            let rows = group?.share(of: microBatch.count) ?? microBatch.indices
            let batch = Array(microBatch[rows])
            let batchIndices = indices[i].map { Array($0[rows]) }
            for (j, range) in passes(batch).enumerated() {
                let pass = Array(batch[range])
                let objective = try distillation?.objective(for: pass, indices: batchIndices.map { Array($0[range]) }) ?? .crossEntropy
                let loss = model.loss(pass, objective: objective, gradients: gradients, lossScale: 1 / Float(max(targetCount, 1)),
                                      dropoutSeed: passSeed(i, j), recompute: settings.recompute)
                lossSum += loss.total
                if let d = loss.distillation { terms = (terms ?? DistillationTerms()) + d }
            }
        }
        var allReduceSeconds: Double?
        if let group {
            let started = Date()
            group.sum(gradients, backend: backend)
            (lossSum, terms) = group.sum(lossSum, terms, distilling: distillation != nil)
            allReduceSeconds = Date().timeIntervalSince(started)
        }
        let loss = lossSum / Double(max(targetCount, 1))
        let (norm, rate) = try optimizer.update(gradients, loss: loss, settings: settings)
        return StepResult(step: step, loss: loss, learningRate: rate, gradientNorm: norm, tokens: tokens,
                          targetTokens: targetCount, distillation: terms, allReduceSeconds: allReduceSeconds)
    }

    /// Dropout masks (and on-policy samples) differ per step and pass but repeat on resume.
    private func passSeed(_ microBatch: Int, _ pass: Int) -> UInt64 {
        settings.seed &+ UInt64((step * settings.gradAccum + microBatch) * 1024 + pass) &* 0xD1B5_4A32_D192_ED03
    }

    /// Consecutive runs of `batch` holding at most `tokensPerPass` tokens (at least one sequence).
    func passes(_ batch: [TrainingSequence]) -> [Range<Int>] {
        Passes.ranges(sizes: batch.map(\.tokens.count), limit: settings.tokensPerPass)
    }

    /// Mean cross-entropy per target token over `set`, without gradients; each rank of a
    /// group evaluates its share of the batches.
    public func evaluate(_ set: [TrainingSequence]) -> Double {
        var (sum, count) = (0.0, 0.0)
        let starts = Array(stride(from: 0, to: set.count, by: settings.batchSize))
        for start in starts[group?.share(of: starts.count) ?? starts.indices] {
            let batch = Array(set[start..<min(start + settings.batchSize, set.count)])
            sum += model.loss(batch, gradients: nil, lossScale: 1, dropoutSeed: 0, recompute: false)
            count += Double(batch.map(\.targetCount).reduce(0, +))
        }
        if let group {
            let sums = group.sum([sum, count])
            (sum, count) = (sums[0], sums[1])
        }
        return count == 0 ? .nan : sum / count
    }
}

extension Optimizer {
    /// The next update from `gradients` of a step whose mean loss is `loss`: clipped to the
    /// settings' norm, at the schedule's rate. A non-finite loss or gradient norm throws
    /// before the update, so the weights stay as they were. Returns the norm before clipping
    /// and the rate.
    func update(_ gradients: Gradients, loss: Double, settings: Trainer.Settings) throws
        -> (gradientNorm: Double, learningRate: Double) {
        guard loss.isFinite else { throw TrainingError.nonFiniteLoss(step: step + 1, loss: loss, checkpoint: nil) }
        let norm = clipGradientNorm(gradients, maxNorm: settings.maxGradNorm, backend: backend)
        guard norm.isFinite else { throw TrainingError.nonFiniteLoss(step: step + 1, loss: norm, checkpoint: nil) }
        let rate = settings.learningRate(forUpdate: step + 1)
        update(gradients, learningRate: rate)
        return (norm, rate)
    }
}
