// The loop every fine-tuning recipe runs: steps, metrics, validation with early stopping,
// checkpoints (the last one always written, so a finished run can be continued), the loss
// chart. What a step and a validation pass are belongs to the recipe's trainer.
// Data-parallel, every rank runs the loop (steps and validation are collective) and takes
// the same decisions from the same summed numbers, but only rank 0 writes files and
// reports events; whether to go on after its callback is rank 0's call, sent to all.
import AfinaDistributed
import Foundation

/// A trainer the loop drives.
public protocol LoopTrainer: CheckpointedTrainer {
    var step: Int { get }
    var settings: Trainer.Settings { get }
    func trainStep() throws -> StepResult
}

/// One validation pass: the mean loss, and for classification accuracy and macro-F1 (0-100).
public struct Validation: Sendable, Equatable {
    public var loss: Double
    public var accuracy: Double?
    public var macroF1: Double?

    public init(loss: Double, accuracy: Double? = nil, macroF1: Double? = nil) {
        (self.loss, self.accuracy, self.macroF1) = (loss, accuracy, macroF1)
    }
}

/// What the loop reports after each step; return false from the callback to stop.
public enum TrainingEvent {
    case step(StepResult, tokensPerSecond: Double)
    case validation(step: Int, Validation)
    case checkpoint(URL)
    case earlyStop(step: Int)
}

struct TrainingLoop {
    let config: TrainingConfig
    let directory: URL
    let trainer: any LoopTrainer
    /// A validation pass, when there is validation data.
    let validate: (() throws -> Validation)?
    /// The processes training together, or nil for one process.
    var group: ProcessGroup? = nil

    var checkpoints: URL { directory.appendingPathComponent("checkpoints") }

    /// Trains from `state` to the end (or until stopped). A non-finite loss throws, naming the
    /// last good checkpoint.
    func run(_ state: inout LoopState, chartTitle: String, _ reportEvent: (TrainingEvent) -> Bool) throws {
        let writes = group?.isRoot ?? true
        func onEvent(_ event: TrainingEvent) -> Bool { writes ? reportEvent(event) : true }
        var metrics: MetricsLog?
        if writes {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try config.resolvedYAML().write(to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
            metrics = try MetricsLog(directory: directory)
            try metrics?.truncate(after: state.step)
        }
        var lastCheckpoint = try Checkpoint.completed(in: checkpoints).last
        let totalSteps = trainer.settings.totalSteps
        while trainer.step < totalSteps {
            let started = Date()
            let result: StepResult
            do {
                result = try trainer.trainStep()
            } catch TrainingError.nonFiniteLoss(let step, let loss, _) {
                throw TrainingError.nonFiniteLoss(step: step, loss: loss, checkpoint: lastCheckpoint?.path)
            }
            let speed = Double(result.tokens) / Date().timeIntervalSince(started)
            state.step = trainer.step
            state.sampler = trainer.sampler
            let perToken = { (sum: Double) in sum / Double(max(result.targetTokens, 1)) }
            var record = MetricsRecord(step: result.step, split: .train, loss: result.loss,
                                       learningRate: result.learningRate, tokensPerSecond: speed,
                                       gradNorm: result.gradientNorm,
                                       crossEntropy: result.distillation.map { perToken($0.crossEntropy) },
                                       divergence: result.distillation.map { perToken($0.divergence) },
                                       agreement: result.distillation.map { perToken(Double($0.agreements)) })
            record.allReduceSeconds = result.allReduceSeconds
            try metrics?.append(record)
            var keepGoing = onEvent(.step(result, tokensPerSecond: speed))
            if config.evalEvery > 0, trainer.step % config.evalEvery == 0 || trainer.step == totalSteps, let validate {
                let validation = try validate()
                var record = MetricsRecord(step: trainer.step, split: .validation, loss: validation.loss)
                (record.accuracy, record.macroF1) = (validation.accuracy, validation.macroF1)
                try metrics?.append(record)
                keepGoing = onEvent(.validation(step: trainer.step, validation)) && keepGoing
                if validation.loss < (state.bestValidationLoss ?? .infinity) {
                    state.bestValidationLoss = validation.loss
                    state.evaluationsWithoutImprovement = 0
                } else {
                    state.evaluationsWithoutImprovement += 1
                    if config.earlyStoppingPatience > 0, state.evaluationsWithoutImprovement >= config.earlyStoppingPatience {
                        _ = onEvent(.earlyStop(step: trainer.step))
                        keepGoing = false
                    }
                }
            }
            if writes, config.saveEvery > 0, trainer.step % config.saveEvery == 0 {
                lastCheckpoint = try Checkpoint.write(trainer, state: state, to: checkpoints)
                _ = onEvent(.checkpoint(lastCheckpoint!))
            }
            if let group { keepGoing = group.broadcast(keepGoing) }
            if !keepGoing { break }
        }
        guard let metrics else { return }  // not rank 0: nothing to write
        if lastCheckpoint?.lastPathComponent != String(format: "step-%06d", state.step) {
            _ = onEvent(.checkpoint(try Checkpoint.write(trainer, state: state, to: checkpoints)))
        }
        try LossChart.write(MetricsLog.read(metrics.url), to: directory.appendingPathComponent("loss.svg"), title: chartTitle)
    }
}
