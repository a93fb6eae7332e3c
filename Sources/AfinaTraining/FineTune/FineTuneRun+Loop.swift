// The training loop of a run: steps, validation, early stopping, checkpoints, final output.
import AfinaModels
import AfinaTensor
import Foundation

extension FineTuneRun {
    public typealias Event = TrainingEvent

    public var totalSteps: Int { trainer.settings.totalSteps }

    /// Trains to the end (or until stopped), then writes the adapter or model and the chart.
    /// A non-finite loss throws, keeping the last good checkpoint.
    public func run(_ onEvent: (Event) -> Bool = { _ in true }) throws {
        let validation = self.validation
        let loop = TrainingLoop(config: config, directory: directory, trainer: trainer,
                                validate: validation.isEmpty ? nil : { [trainer] in Validation(loss: trainer.evaluate(validation)) },
                                group: trainer.group)
        try loop.run(&state, chartTitle: "\(config.method.rawValue) fine-tuning of \(URL(fileURLWithPath: config.model).lastPathComponent)",
                     onEvent)
        guard trainer.group?.isRoot ?? true else { return }
        try writeOutput(trainer.model, trainable: trainer.optimizer.parameters, base: base, backend: trainer.backend,
                        into: directory)
    }
}
