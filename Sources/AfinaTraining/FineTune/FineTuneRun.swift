// The `afina train` recipe: supervised fine-tuning (full, LoRA or QLoRA-style) from a
// TrainingConfig, with a run folder holding the resolved config, metrics.jsonl, loss.svg,
// checkpoints/ and the final adapter/ (or model/). Progress goes through a callback.
import AfinaData
import AfinaDistributed
import AfinaModels
import AfinaTemplates
import AfinaTensor
import Foundation

public final class FineTuneRun: @unchecked Sendable {
    public let config: TrainingConfig
    public let directory: URL
    public let trainer: Trainer
    public let validation: [TrainingSequence]
    public let memory: MemoryEstimate
    /// Notes for the user made while preparing (truncated examples, split sizes...).
    public private(set) var notes: [String] = []
    let base: LoadedModel
    var state: LoopState

    var checkpoints: URL { directory.appendingPathComponent("checkpoints") }

    /// Prepares a run: loads the model and data, and resumes from the run folder's latest
    /// checkpoint when `resume` is set. With a `group`, each rank trains on its share of every
    /// micro-batch (every rank reads the same config, data, model and checkpoint).
    public init(config given: TrainingConfig, resume: Bool, group: ProcessGroup? = nil) throws {
        var config = given
        let backend = try config.backend.makeBackend(precision: config.precision)
        directory = URL(fileURLWithPath: config.outputDir)
        let checkpoints = try config.checkpointFolder(resume: resume)
        let (base, model, trainable) = try Self.trainableModel(&config, backend: backend)
        self.config = config
        self.base = base
        let (train, validation, notes) = try Self.prepareData(config, base)
        self.validation = validation
        self.notes = notes
        trainer = Trainer(model: model, optimizer: config.makeOptimizer(trainable, backend: backend), examples: train,
                          settings: config.trainerSettings(examples: train.count, recompute: config.checkpointing),
                          distillation: try Self.distillation(config, student: base, train: train), group: group)
        state = LoopState(step: 0, sampler: trainer.sampler, bestValidationLoss: nil, evaluationsWithoutImprovement: 0)
        // The largest pass: the longest micro-batch, cut at tokensPerPass (whole sequences).
        let lengths = train.map(\.tokens.count).sorted()
        let pass = min(lengths.suffix(config.batchSize).reduce(0, +), trainer.settings.tokensPerPass + (lengths.last ?? 0))
        var frozen = model.parameters(.all).filter { p in !trainable.contains { $0.value === p.value } }
            .map { $0.value.storage.byteCount }.reduce(0, +)
        var teacherLogits = 0
        if case .online(let teacher) = trainer.distillation?.teacher {
            frozen += teacher.parameters(.all).map { $0.value.storage.byteCount }.reduce(0, +)
            teacherLogits = 4 * pass * teacher.vocabularySize
        }
        let packed = backend.precision == .bf16
            ? model.parameters(.all).filter { $0.value.dtype == .f32 && $0.value.shape.count == 2 }.map(\.value.count).reduce(0, +)
            : 0
        var memory = MemoryEstimate(dimensions: model.dimensions, trainable: trainable, frozenBytes: frozen, packedElements: packed,
                                optimizerSlots: config.optimizer == .adamw ? 2 : 1,
                                tokensPerPass: pass, recompute: config.checkpointing)
        memory.activations += teacherLogits
        self.memory = memory
        self.notes.append(memory.summary)
        if resume {
            let (restored, note) = try Checkpoint.resumeLatest(trainer, in: checkpoints)
            state = restored
            self.notes.append(note)
        }
    }

    /// The model a run trains, from the configured file: a float32 copy (full, LoRA) or the
    /// file's quantized weights (QLoRA), and its trainable parameters. The run holds the model
    /// it trains, not the file's weights beside a float copy of them (for a GGUF, its mapping:
    /// 96 MiB of SmolLM2's 2.9 GB when tuned in full); they are freed on return, before
    /// gradients and optimizer state are allocated (Gemma 3 270M's 241 MiB mapping stayed
    /// resident while 3 GB of them were).
    static func trainableModel(_ config: inout TrainingConfig, backend: any Backend) throws
        -> (LoadedModel, any TrainableModel, [Parameter]) {
        let source = try ModelLoader.causalLM(config.loadModel(backend: backend))
        guard let loaded = source.model as? any TrainableModel else {
            throw TrainingError.invalidSetup("\(source.info.architecture) models cannot be trained yet")
        }
        if config.lora.targets.isEmpty { config.lora.targets = loaded.defaultAdapterTargets }
        // LoRA trains over a float32 copy of the base (fastest products); QLoRA keeps the base
        // in its file's quantized blocks and expands tiles inside each product.
        let model = config.method == .qlora ? loaded : try loaded.floatCopy()
        if config.method != .full { try model.attachAdapters(config.lora, weights: nil, seed: config.seed) }
        return (source.replacingModel(with: model), model, model.parameters(config.method == .full ? .all : .adapters))
    }

    /// The `distill:` section made ready: the teacher loaded and checked, or the cache read
    /// and checked.
    static func distillation(_ config: TrainingConfig, student: LoadedModel, train: [TrainingSequence]) throws -> Distillation? {
        let d = config.distill
        if let path = d.cache {
            return Distillation(loss: d.loss, teacher: .cached(try TeacherCache(url: URL(fileURLWithPath: path), examples: train,
                                                                                 temperature: d.temperature)))
        }
        guard let name = d.teacher else { return nil }
        return Distillation(loss: d.loss, teacher: .online(try Distillation.loadTeacher(name, student: student)),
                            onPolicy: d.onPolicy,
                            sampling: OnPolicySampling(maxNewTokens: d.maxNewTokens, stopTokens: student.stopTokens))
    }

    /// Training and validation sequences: the validation file, or a seeded share of the
    /// training file.
    static func prepareData(_ config: TrainingConfig, _ base: LoadedModel, shots: [ChatMessage] = []) throws
        -> ([TrainingSequence], [TrainingSequence], [String]) {
        let renderer = try ExampleRenderer(tokenizer: base.tokenizer,
                                           chatTemplate: config.data.chatTemplate ? base.chatTemplate : nil,
                                           maxLength: config.data.maxLength, shots: shots,
                                           appendEOS: config.data.eos)
        var notes: [String] = []
        func load(_ path: String) throws -> [TrainingSequence] {
            let rendered = try renderer.render(file: URL(fileURLWithPath: path))
            if rendered.truncated > 0 {
                notes.append("warning: \(rendered.truncated) examples of \(path) were longer than "
                    + "data.max_length=\(config.data.maxLength) tokens and were truncated")
            }
            if rendered.dropped > 0 { notes.append("warning: \(rendered.dropped) examples of \(path) had no answer tokens left and were dropped") }
            return rendered.examples.map { TrainingSequence(tokens: $0.tokens, targets: $0.targets) }
        }
        var train = try load(config.data.train)
        var validation: [TrainingSequence] = []
        if let path = config.data.validation {
            validation = try load(path)
        } else if config.data.validationFraction > 0 {
            let split = DataSplit(count: train.count, validationFraction: config.data.validationFraction, seed: config.seed)
            validation = split.validation.map { train[$0] }
            train = split.train.map { train[$0] }
        }
        guard !train.isEmpty else { throw TrainingError.invalidSetup("\(config.data.train): no training examples") }
        notes.append("\(train.count) training and \(validation.count) validation examples")
        return (train, validation, notes)
    }
}
