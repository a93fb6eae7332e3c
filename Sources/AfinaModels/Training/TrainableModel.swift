// What training needs from a model: its parameters by checkpoint name, and the loss with its
// gradients for a ragged batch of sequences (no padding: each sequence attends only to itself).
import AfinaTensor

/// One training sequence: token i gets loss when targets[i] (predicted from tokens[..<i]).
public struct TrainingSequence: Sendable, Equatable {
    public var tokens: [Int32]
    public var targets: [Bool]

    public init(tokens: [Int32], targets: [Bool]) {
        precondition(tokens.count == targets.count, "one target flag per token")
        (self.tokens, self.targets) = (tokens, targets)
    }

    public var targetCount: Int { targets.dropFirst().filter { $0 }.count }
}

/// A tensor training may update, with its Hugging Face name.
public struct Parameter: @unchecked Sendable {
    public let name: String
    public let value: Tensor
    /// Weight decay applies to matrices, not to norms and biases (as users expect).
    public var decays: Bool { value.shape.count >= 2 }
}

/// `parameters` as a float32 table in memory of its own (loaded weights may be quantized, or
/// borrowed from a read-only file mapping), to rebuild a trainable copy from.
func floatWeights(_ parameters: [Parameter], backend b: any Backend) -> WeightTable {
    let tensors = parameters.map { ($0.name, b.tensor(b.floats($0.value), shape: $0.value.shape)) }
    return WeightTable(Dictionary(uniqueKeysWithValues: tensors), source: "float32 copy")
}

/// Gradient tensors of a set of parameters, found by the parameter's tensor.
public final class Gradients: @unchecked Sendable {
    public let parameters: [Parameter]
    private let byTensor: [ObjectIdentifier: Tensor]

    public init(_ parameters: [Parameter], backend: any Backend) {
        self.parameters = parameters
        var map: [ObjectIdentifier: Tensor] = [:]
        for p in parameters { map[ObjectIdentifier(p.value)] = backend.zeros(p.value.shape) }
        byTensor = map
    }

    /// The gradient of `tensor`, or nil when it is frozen.
    public subscript(_ tensor: Tensor) -> Tensor? { byTensor[ObjectIdentifier(tensor)] }
    /// Gradients in parameter order.
    public var tensors: [Tensor] { parameters.map { byTensor[ObjectIdentifier($0.value)]! } }
}

/// Which parts of a model train.
public enum TrainableSet: Sendable, Equatable {
    /// Every weight (full fine-tuning; weights must be float32).
    case all
    /// Only the low-rank adapters.
    case adapters
}

/// A causal language model that can compute gradients.
public protocol TrainableModel: CausalLM {
    var trainingBackend: any TrainingBackend { get }
    /// The sizes a run plans its memory by.
    var dimensions: ModelDimensions { get }
    /// Parameters in a fixed order, named as in Hugging Face checkpoints (adapters as
    /// `<module>.lora_A.weight`).
    func parameters(_ set: TrainableSet) -> [Parameter]
    /// The LoRA targets a run uses when its config names none (peft's defaults per family).
    var defaultAdapterTargets: [String] { get }
    /// LoRA targets that put an adapter on every linear layer, in the family's module names.
    var linearAdapterTargets: [String] { get }
    /// The multiply-adds of a forward pass over `batch`, as `loss` runs it.
    func forwardMultiplyAdds(_ batch: [TrainingSequence]) -> ForwardMultiplyAdds
    /// Adds low-rank adapters to the targeted modules: fresh (A random, B zero) or, with
    /// `weights`, from saved tensors named `<module>.lora_A.weight` / `.lora_B.weight`.
    func attachAdapters(_ settings: LoRAConfiguration, weights: [String: Tensor]?, seed: UInt64) throws
    /// A copy with float32 weights of its own (full fine-tuning).
    func floatCopy() throws -> Self
    /// Summed cross-entropy over all target tokens of `batch`. With `gradients`, also adds
    /// d(lossScale * loss)/d(parameter) into them. `dropoutSeed` draws the adapter dropout masks;
    /// `recompute` keeps only each layer's input and recomputes the rest during backward.
    func loss(_ batch: [TrainingSequence], objective: TokenObjective, gradients: Gradients?, lossScale: Float,
              dropoutSeed: UInt64, recompute: Bool) -> LossTerms
    /// Logits [T, V] of the rows that have targets, in the order `loss` visits them (a
    /// teacher's side of distillation; no gradients).
    func targetLogits(_ batch: [TrainingSequence]) -> Tensor
}

/// What the loss is on a pass's target rows.
public enum TokenObjective: @unchecked Sendable {
    case crossEntropy
    /// Distillation from the teacher's distribution of each target row, in the pass's order.
    case distill(DistillationLoss, TeacherDistribution)
}

/// A pass's summed loss (what the gradients are of, before lossScale), and with
/// distillation its parts.
public struct LossTerms: Sendable {
    public var total: Double
    public var distillation: DistillationTerms?

    public init(total: Double, distillation: DistillationTerms? = nil) {
        (self.total, self.distillation) = (total, distillation)
    }

    public static func += (a: inout LossTerms, b: LossTerms) {
        a.total += b.total
        if let terms = b.distillation { a.distillation = (a.distillation ?? DistillationTerms()) + terms }
    }
}

extension TokenObjective {
    /// Target rows an output head takes at a time. Its [rows, V] logits are a pass's largest
    /// buffer (256 rows: 48 MiB at SmolLM2's 49,152-token vocabulary, 256 MiB at Gemma 3's
    /// 262,144), and each chunk reads the head's weight twice (and, where it trains, its
    /// gradient), so fewer rows cost speed. Where the head trains (full fine-tuning, whose
    /// float32 states make the peak), 128 rows: SmolLM2's peak 2,313 -> 2,290 MiB, 0.50 ->
    /// 0.495x PyTorch's, for 2.5% of its speed; 64 when activations are recomputed, the mode
    /// that gives speed for memory (Gemma 3 270M: 4,313 -> 4,248 MiB, 175 -> 143 tokens/s).
    /// A frozen head keeps 256 (LoRA lost 5% at 128).
    public static func chunkRows(headTrains: Bool, recompute: Bool) -> Int {
        headTrains ? (recompute ? 64 : 128) : 256
    }

    /// The loss on a chunk of target rows, the one place every model's head computes it:
    /// `logits` [rows, classes] become scale * d(loss)/d(logits) in place. `rows` places the
    /// chunk among the pass's target rows (the teacher's rows are in the same order).
    public func loss(_ logits: Tensor, targets: [Int32], rows: Range<Int>, backend b: any TrainingBackend,
                     scale: Float) -> LossTerms {
        switch self {
        case .crossEntropy:
            return LossTerms(total: b.crossEntropy(logits, targets: targets, scale: scale))
        case let .distill(settings, teacher):
            let terms = b.distillationLoss(logits, targets: targets, teacher: teacher.rows(rows, backend: b), settings,
                                           scale: scale)
            return LossTerms(total: terms.total(settings), distillation: terms)
        }
    }
}

extension TrainableModel {
    public var defaultAdapterTargets: [String] { ["q_proj", "v_proj"] }
    public var linearAdapterTargets: [String] { LoRAConfiguration.allLinearModules }

    /// Summed cross-entropy over all target tokens of `batch` (see `loss(_:objective:...)`).
    public func loss(_ batch: [TrainingSequence], gradients: Gradients?, lossScale: Float,
                     dropoutSeed: UInt64, recompute: Bool) -> Double {
        loss(batch, objective: .crossEntropy, gradients: gradients, lossScale: lossScale, dropoutSeed: dropoutSeed,
             recompute: recompute).total
    }
}
