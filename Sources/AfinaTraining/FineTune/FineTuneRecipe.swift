// What `afina train` runs, whatever the task: the decoder recipe (FineTuneRun) or the encoder
// one (EncoderFineTuneRun), chosen by the config's `task`.
import AfinaDistributed
import AfinaModels
import AfinaTensor
import Foundation

public protocol FineTuneRecipe: AnyObject {
    var config: TrainingConfig { get }
    /// Notes for the user made while preparing (split sizes, truncation, the memory plan...).
    var notes: [String] { get }
    var totalSteps: Int { get }
    /// Optimizer steps already taken (more than 0 when resumed).
    var completedSteps: Int { get }
    /// Trains to the end (or until the callback returns false), then writes the result.
    func run(_ onEvent: (TrainingEvent) -> Bool) throws
}

public enum FineTune {
    /// The recipe for `config.task`, prepared (and resumed from the run folder's latest
    /// checkpoint when `resume`); data-parallel over `group` when launched by mpirun.
    public static func recipe(_ config: TrainingConfig, resume: Bool, group: ProcessGroup? = nil) throws -> any FineTuneRecipe {
        guard config.task.isEncoderTask else { return try FineTuneRun(config: config, resume: resume, group: group) }
        if let group {
            // Contrastive loss compares every pair in a batch, so rows cannot be split over ranks.
            throw TrainingError.invalidSetup("task: \(config.task.rawValue) trains in one process; run it without mpirun "
                + "(\(group.size) ranks were launched)")
        }
        return try EncoderFineTuneRun(config: config, resume: resume)
    }
}

extension TrainingConfig {
    /// The run folder's checkpoints, refused when they belong to an earlier run that is not
    /// being resumed.
    func checkpointFolder(resume: Bool) throws -> URL {
        let checkpoints = URL(fileURLWithPath: outputDir).appendingPathComponent("checkpoints")
        if !resume, !(try Checkpoint.completed(in: checkpoints)).isEmpty {
            throw TrainingError.invalidSetup("\(outputDir) holds checkpoints of an earlier run: continue it with "
                + "`afina train --resume \(outputDir)`, or choose another output_dir (or delete that folder)")
        }
        return checkpoints
    }

    /// The optimizer the config names, over `trainable`.
    func makeOptimizer(_ trainable: [Parameter], backend: any TrainingBackend) -> Optimizer {
        Optimizer(trainable, settings: optimizer == .adamw
            ? .adamW(beta1: adamBeta1, beta2: adamBeta2, epsilon: adamEpsilon, weightDecay: weightDecay)
            : .sgd(momentum: momentum, weightDecay: weightDecay), backend: backend)
    }

    /// The trainer's settings for `examples` training examples (epochs become steps).
    func trainerSettings(examples: Int, recompute: Bool) -> Trainer.Settings {
        let perStep = batchSize * gradAccum
        let totalSteps = switch duration {
        case .steps(let n): n
        case .epochs(let n): n * (examples + perStep - 1) / perStep
        }
        return Trainer.Settings(batchSize: batchSize, gradAccum: gradAccum, learningRate: learningRate, schedule: lrSchedule,
                                warmupSteps: warmupSteps, totalSteps: totalSteps, maxGradNorm: maxGradNorm, seed: seed,
                                recompute: recompute)
    }
}

extension Checkpoint {
    /// Loads the latest checkpoint in `folder` into `trainer`: the loop state, and a note saying which.
    static func resumeLatest(_ trainer: any CheckpointedTrainer, in folder: URL) throws -> (LoopState, String) {
        guard let latest = try completed(in: folder).last else {
            throw TrainingError.badCheckpoint("no checkpoint to resume in \(folder.path)")
        }
        return (try restore(trainer, from: latest), "resumed from \(latest.lastPathComponent)")
    }
}

extension TrainingConfig {
    /// The network `model` names, checked to suit `task` (a decoder for causal_lm, an encoder
    /// for the encoder tasks), so a mismatch names both keys.
    func loadModel(backend: any Backend) throws -> LoadedNetwork {
        let loaded = try ModelLoader.loadNetwork(model, backend: backend)
        let isEncoder = loaded.network is any TextEncoder
        guard isEncoder != task.isEncoderTask else { return loaded }
        throw TrainingError.invalidSetup("task: \(task.rawValue) trains \(task.isEncoderTask ? "encoders" : "decoders"), but model: "
            + "\(model) is a \(loaded.info.architecture) \(isEncoder ? "encoder" : "decoder"); "
            + (isEncoder ? "use task: classification, masked_lm or embedding" : "use task: causal_lm"))
    }
}

extension FineTuneRecipe {
    /// The trained result: `adapter/` in peft's layout (a classifier's with its head and
    /// `labels`), or `model/` as a Hugging Face directory with the base's tokenizer.
    func writeOutput(_ trained: any LanguageModel, trainable: [Parameter], base: any ModelSource, labels: [String]? = nil,
                     backend: any TrainingBackend, into directory: URL) throws {
        switch config.method {
        case .lora, .qlora:
            try PEFTAdapter.write(trainable, settings: config.lora, baseModel: config.model, labels: labels, backend: backend,
                                  to: directory.appendingPathComponent("adapter"))
        case .full:
            guard let model = trained as? any ExportableModel else {
                throw TrainingError.invalidSetup("\(base.info.architecture) models cannot be written yet")
            }
            let source = URL(fileURLWithPath: base.info.path)
            let isDirectory = (try? source.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) ?? false
            try model.writeHuggingFace(to: directory.appendingPathComponent("model"), tokenizer: base.tokenizer,
                                       tokenizerDirectory: isDirectory == true ? source : nil, tokenizerFrom: config.model)
        }
    }
}

extension FineTuneRun: FineTuneRecipe {
    public var completedSteps: Int { trainer.step }
}

extension EncoderFineTuneRun: FineTuneRecipe {
    public var completedSteps: Int { trainer.step }
}
