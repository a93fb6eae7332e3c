// The `afina train` recipe for encoders (`task: classification` or `task: masked_lm`): the
// model and data prepared from a TrainingConfig, the shared training loop, and the result:
// model/ (a Hugging Face directory) or adapter/ (peft's layout, a classifier's head saved with it).
import AfinaData
import AfinaEval
import AfinaModels
import AfinaTensor
import AfinaTokenizers
import Foundation

public final class EncoderFineTuneRun: @unchecked Sendable {
    public let config: TrainingConfig
    public let directory: URL
    public let trainer: EncoderTrainer
    public let validation: [EncoderExample]
    /// The class names by index (classification).
    public let labels: [String]
    public private(set) var notes: [String] = []
    let base: LoadedNetwork
    var state: LoopState

    public var totalSteps: Int { trainer.settings.totalSteps }

    public init(config: TrainingConfig, resume: Bool) throws {
        let backend = try config.backend.makeBackend(precision: config.precision)
        self.config = config
        directory = URL(fileURLWithPath: config.outputDir)
        let checkpoints = try config.checkpointFolder(resume: resume)
        guard config.method != .qlora else {
            throw TrainingError.invalidSetup("method qlora keeps a GGUF base in its quantized blocks; encoders load "
                + "float weights: use lora")
        }
        base = try config.loadModel(backend: backend)
        let shape: TextRecord.Shape = switch config.task {
        case .classification: .labeled
        case .embedding: .pair
        default: .text
        }
        var train = try TextRecord.load(from: URL(fileURLWithPath: config.data.train), shape: shape)
        var held = try config.data.validation.map { try TextRecord.load(from: URL(fileURLWithPath: $0), shape: shape) } ?? []
        if config.data.validation == nil, config.data.validationFraction > 0 {
            let split = DataSplit(count: train.count, validationFraction: config.data.validationFraction, seed: config.seed)
            (held, train) = (split.validation.map { train[$0] }, split.train.map { train[$0] })
        }
        let model: any TrainableEncoder
        let task: EncoderTask
        switch config.task {
        case .classification:
            // Labels in sorted order, so the same file always gives the same class indices.
            labels = Array(Set(train.compactMap(\.label))).sorted()
            model = try Self.classifier(base, labels: labels, seed: config.seed)
            task = .classification
        case .maskedLM:
            labels = []
            model = try base.require((any MaskedLM & TrainableEncoder).self, .maskedLM)
            guard let maskID = base.tokenizer.maskID else {
                throw TrainingError.invalidSetup("\(config.model): the tokenizer names no mask token ([MASK])")
            }
            task = .maskedLM(MaskedLMMasking(maskID: maskID, vocabularySize: model.vocabularySize,
                                             specialIDs: Set(base.tokenizer.specialIDs)))
        case .embedding:
            labels = []
            model = try base.require((any TrainableEncoder).self, .encoder)
            task = .contrastive(pooling: try SentencePooling(modelPath: base.info.path).mode, scale: 20)
        case .causalLM:
            throw TrainingError.invalidSetup("task causal_lm trains decoders (FineTuneRun)")
        }
        let trainable: [Parameter]
        let trained: any TrainableEncoder
        switch config.method {
        case .full:
            trained = try model.floatCopy()
            trainable = trained.parameters(.all)
        case .lora, .qlora:
            trained = model
            try trained.attachAdapters(config.lora, weights: nil, seed: config.seed)
            trainable = trained.parameters(.adapters)
        }
        let tokenize = Self.examples(tokenizer: base.tokenizer, labels: labels, pairsArePositives: config.task == .embedding,
                                     maxLength: min(config.data.maxLength, model.contextLength))
        let (trainExamples, truncated) = try tokenize(train, config.data.train)
        let (validation, heldTruncated) = try tokenize(held, config.data.validation ?? config.data.train)
        self.validation = validation
        if truncated + heldTruncated > 0 {
            notes.append("warning: \(truncated + heldTruncated) texts were longer than data.max_length="
                + "\(min(config.data.maxLength, model.contextLength)) tokens and were truncated")
        }
        notes.append("\(trainExamples.count) training and \(validation.count) validation examples"
            + (labels.isEmpty ? "" : ", \(labels.count) labels: \(labels.joined(separator: ", "))"))
        trainer = EncoderTrainer(model: trained, optimizer: config.makeOptimizer(trainable, backend: backend),
                                 examples: trainExamples, task: task,
                                 settings: config.trainerSettings(examples: trainExamples.count, recompute: false))
        state = LoopState(step: 0, sampler: trainer.sampler, bestValidationLoss: nil, evaluationsWithoutImprovement: 0)
        if resume {
            let (restored, note) = try Checkpoint.resumeLatest(trainer, in: checkpoints)
            state = restored
            notes.append(note)
        }
    }

    /// The model's own classifier when its labels are the data's, else a new head on its encoder.
    static func classifier(_ base: LoadedNetwork, labels: [String], seed: UInt64) throws -> any TrainableEncoder {
        if let classifier = base.network as? any SequenceClassifier & TrainableEncoder {
            guard classifier.labels == labels else {
                throw TrainingError.invalidSetup("the model classifies into \(classifier.labels.joined(separator: ", ")); "
                    + "the training data has labels \(labels.joined(separator: ", "))")
            }
            return classifier
        }
        return try base.require((any ClassifierBuilding).self, .encoder).addingClassifier(labels: labels, seed: seed)
    }

    /// Records to examples, counting truncated texts; a validation label the training data
    /// never had is an error naming the file and line. With `pairsArePositives` a record's
    /// second text is its positive (contrastive tuning), else the second of a sentence pair.
    static func examples(tokenizer: Tokenizer, labels: [String], pairsArePositives: Bool, maxLength: Int)
        -> ([TextRecord], String) throws -> ([EncoderExample], Int) {
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
        return { records, file in
            var truncated = 0
            let examples = try records.map { record in
                let (encoding, cut) = tokenizer.encode(record.text, pair: pairsArePositives ? nil : record.textPair,
                                                       maxLength: maxLength)
                var positive: EncoderInput?
                if pairsArePositives, let text = record.textPair {
                    let (p, positiveCut) = tokenizer.encode(text, pair: nil, maxLength: maxLength)
                    positive = EncoderInput(ids: p.ids, typeIDs: p.typeIDs)
                    if positiveCut { truncated += 1 }
                }
                if cut { truncated += 1 }
                var label: Int32?
                if let name = record.label {
                    guard let i = index[name] else {
                        throw DataError("\(file):\(record.line): label '\(name)' does not occur in the training data "
                            + "(labels: \(labels.joined(separator: ", ")))")
                    }
                    label = i
                }
                return EncoderExample(input: EncoderInput(ids: encoding.ids, typeIDs: encoding.typeIDs), label: label,
                                      positive: positive)
            }
            return (examples, truncated)
        }
    }

    /// Trains to the end (or until stopped), then writes the model or adapter and the chart.
    public func run(_ onEvent: (TrainingEvent) -> Bool = { _ in true }) throws {
        let (trainer, validation, labels) = (self.trainer, self.validation, self.labels)
        let validate = { () throws -> Validation in
            let (loss, predictions) = try trainer.evaluate(validation)
            guard !labels.isEmpty else { return Validation(loss: loss) }
            let scores = MetricSuite.score([.accuracy, .macroF1], predictions: predictions.map { labels[Int($0)] },
                                           references: validation.map { [labels[Int($0.label!)]] }, sources: [],
                                           bootstrap: nil)
            return Validation(loss: loss, accuracy: scores[0].value, macroF1: scores[1].value)
        }
        let loop = TrainingLoop(config: config, directory: directory, trainer: trainer,
                                validate: validation.isEmpty ? nil : validate)
        try loop.run(&state, chartTitle: "\(config.method.rawValue) \(config.task.rawValue) tuning of "
            + URL(fileURLWithPath: config.model).lastPathComponent, onEvent)
        try writeOutput(trainer.model, trainable: trainer.optimizer.parameters, base: base,
                        labels: labels.isEmpty ? nil : labels, backend: trainer.backend, into: directory)
    }
}
