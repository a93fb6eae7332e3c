// Logit-level distillation in the training step: where each pass's teacher distributions
// come from (a teacher model run beside the student, or a cache of its top-k), and GKD's
// on-policy batches, whose answers the student samples itself and the teacher scores.
import AfinaModels
import AfinaTensor
import Foundation

/// Where the teacher's distributions come from.
public enum TeacherSource: @unchecked Sendable {
    /// The teacher's forward runs on every pass (frozen; may be quantized).
    case online(any TrainableModel)
    /// Top-k log-probabilities stored by `afina distill cache`, by training example.
    case cached(TeacherCache)
}

public struct Distillation: @unchecked Sendable {
    public var loss: DistillationLoss
    public var teacher: TeacherSource
    /// Share of micro-batches answered by the student (GKD's lambda); needs an online teacher.
    public var onPolicy: Double
    /// How on-policy answers are sampled.
    public var sampling: OnPolicySampling?

    public init(loss: DistillationLoss, teacher: TeacherSource, onPolicy: Double = 0, sampling: OnPolicySampling? = nil) {
        precondition(onPolicy == 0 || sampling != nil, "on-policy batches need sampling settings")
        (self.loss, self.teacher, self.onPolicy, self.sampling) = (loss, teacher, onPolicy, sampling)
    }

    /// Whether micro-batch `index` of update `update` is on-policy: a seeded draw, so a
    /// resumed run makes the same choices.
    func isOnPolicy(update: Int, microBatch index: Int, seed: UInt64) -> Bool {
        guard onPolicy > 0 else { return false }
        var random = Xoshiro256(seed: seed ^ 0x6B5F_0D1C_A3E2_9F47 &+ UInt64(update) &* 1_000_003 &+ UInt64(index))
        return Double(random.next() >> 11) / Double(1 << 53) < onPolicy
    }

    /// The loss of one pass: `sequences` are the pass's examples, `indices` their positions in
    /// the training set (nil for sequences the student sampled). Sampled answers have no
    /// labels of their own, so they train on the divergence alone.
    func objective(for sequences: [TrainingSequence], indices: [Int]?) throws -> TokenObjective {
        var settings = loss
        let distribution: TeacherDistribution
        switch teacher {
        case .online(let model):
            distribution = .logits(model.targetLogits(sequences))
        case .cached(let cache):
            guard let indices else { throw TrainingError.invalidSetup("on-policy batches need an online teacher") }
            distribution = try cache.distribution(for: indices, sequences: sequences)
        }
        if indices == nil { settings.alpha = 0 }
        return .distill(settings, distribution)
    }
}

extension Distillation {
    /// Loads a teacher on the student's backend, checked against the student's vocabulary;
    /// its weights are declared constant so bf16 products keep their packings.
    public static func loadTeacher(_ name: String, student: LoadedModel) throws -> any TrainableModel {
        let backend = student.model.backend
        let teacher = try ModelLoader.load(name, backend: backend)
        try checkVocabulary(student: student, teacher: teacher, teacherName: name)
        guard let model = teacher.model as? any TrainableModel else {
            throw TrainingError.invalidSetup("\(teacher.info.architecture) models cannot be teachers yet")
        }
        for p in model.parameters(.all) { backend.declareWeight(p.value) }
        return model
    }

    /// Refuses a teacher whose vocabulary is not the student's: their distributions would
    /// be over different tokens. Sequence-level distillation has no such limit.
    public static func checkVocabulary(student: LoadedModel, teacher: LoadedModel, teacherName: String) throws {
        let (s, t) = (student.tokenizer, teacher.tokenizer)
        let same = student.model.vocabularySize == teacher.model.vocabularySize && s.vocabularySize == t.vocabularySize
            && (0..<s.vocabularySize).allSatisfy { s.token(for: Int32($0)) == t.token(for: Int32($0)) }
        guard same else {
            throw TrainingError.invalidSetup("teacher \(teacherName) has another vocabulary than the student "
                + "(\(teacher.model.vocabularySize) vs \(student.model.vocabularySize) logits, or different tokens): "
                + "logit-level distillation needs the same tokenizer. Use sequence-level distillation instead: "
                + "`afina distill generate --teacher \(teacherName) ...` writes the teacher's answers as a training file")
        }
    }
}
