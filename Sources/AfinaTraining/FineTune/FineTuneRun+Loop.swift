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
                                validate: validation.isEmpty ? nil : { [trainer] in Validation(loss: trainer.evaluate(validation)) })
        try loop.run(&state, chartTitle: "\(config.method.rawValue) fine-tuning of \(URL(fileURLWithPath: config.model).lastPathComponent)",
                     onEvent)
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
