// The training loop of a run: steps, validation, early stopping, checkpoints, final output.
import AfinaModels
import AfinaTensor
import Foundation

extension FineTuneRun {
    /// What the loop reports after each step; return false from the callback to stop.
    public enum Event {
        case step(StepResult, tokensPerSecond: Double)
        case validation(step: Int, loss: Double)
        case checkpoint(URL)
        case earlyStop(step: Int)
    }

    public var totalSteps: Int { trainer.settings.totalSteps }

    /// Trains to the end (or until stopped), then writes the adapter or model and the chart.
    /// A non-finite loss throws, keeping the last good checkpoint.
    public func run(_ onEvent: (Event) -> Bool = { _ in true }) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try config.resolvedYAML().write(to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        let metrics = try MetricsLog(directory: directory)
        try metrics.truncate(after: state.step)
        var lastCheckpoint = try Checkpoint.completed(in: checkpoints).last
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
            try metrics.append(MetricsRecord(step: result.step, split: .train, loss: result.loss,
                                             learningRate: result.learningRate, tokensPerSecond: speed,
                                             gradNorm: result.gradientNorm,
                                             crossEntropy: result.distillation.map { perToken($0.crossEntropy) },
                                             divergence: result.distillation.map { perToken($0.divergence) },
                                             agreement: result.distillation.map { perToken(Double($0.agreements)) }))
            var keepGoing = onEvent(.step(result, tokensPerSecond: speed))
            if config.evalEvery > 0, trainer.step % config.evalEvery == 0 || trainer.step == totalSteps, !validation.isEmpty {
                let loss = trainer.evaluate(validation)
                try metrics.append(MetricsRecord(step: trainer.step, split: .validation, loss: loss))
                keepGoing = onEvent(.validation(step: trainer.step, loss: loss)) && keepGoing
                if loss < (state.bestValidationLoss ?? .infinity) {
                    state.bestValidationLoss = loss
                    state.evaluationsWithoutImprovement = 0
                } else {
                    state.evaluationsWithoutImprovement += 1
                    if config.earlyStoppingPatience > 0, state.evaluationsWithoutImprovement >= config.earlyStoppingPatience {
                        _ = onEvent(.earlyStop(step: trainer.step))
                        keepGoing = false
                    }
                }
            }
            if config.saveEvery > 0, trainer.step % config.saveEvery == 0 {
                lastCheckpoint = try Checkpoint.write(trainer, state: state, to: checkpoints)
                _ = onEvent(.checkpoint(lastCheckpoint!))
            }
            if !keepGoing { break }
        }
        // The final state, so a finished (or stopped) run can be continued with more steps.
        if lastCheckpoint?.lastPathComponent != String(format: "step-%06d", state.step) {
            _ = onEvent(.checkpoint(try Checkpoint.write(trainer, state: state, to: checkpoints)))
        }
        try LossChart.write(MetricsLog.read(metrics.url), to: directory.appendingPathComponent("loss.svg"),
                            title: "\(config.method.rawValue) fine-tuning of \(URL(fileURLWithPath: config.model).lastPathComponent)")
        try writeOutput()
    }

    /// The trained result: `adapter/` in peft's layout, or `model/` as a Hugging Face directory.
    func writeOutput() throws {
        let backend = trainer.backend
        switch config.method {
        case .lora, .qlora:
            try PEFTAdapter.write(trainer.optimizer.parameters, settings: config.lora, baseModel: config.model,
                                  backend: backend, to: directory.appendingPathComponent("adapter"))
        case .full:
            guard let model = trainer.model as? any ExportableModel else {
                throw TrainingError.invalidSetup("\(base.info.architecture) models cannot be written yet")
            }
            let source = URL(fileURLWithPath: base.info.path)
            let isDirectory = (try? source.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) ?? false
            try model.writeHuggingFace(to: directory.appendingPathComponent("model"), tokenizer: base.tokenizer,
                                       tokenizerDirectory: isDirectory == true ? source : nil, tokenizerFrom: config.model)
        }
    }
}
