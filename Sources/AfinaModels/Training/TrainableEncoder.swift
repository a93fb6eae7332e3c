// What training needs from an encoder: its parameters by checkpoint name, adapters, and the
// loss of its head with gradients for a batch of packed sequences (no padding).
import AfinaTensor

/// What an encoder's head is trained to predict.
public enum EncoderObjective: Sendable, Equatable {
    /// One class index per sequence (sequence classification).
    case classification(labels: [Int32])
    /// Token ids to predict at packed rows (masked-LM).
    case maskedLM(rows: [Int], targets: [Int32])
    /// The batch's first `pairs` inputs anchors, the next `pairs` their positives: in-batch
    /// contrastive loss on `scale` times the cosine similarity of their `pooling` embeddings.
    case contrastive(pairs: Int, pooling: SentencePooling.Mode, scale: Float)

    /// How many predictions the loss sums over.
    public var count: Int {
        switch self {
        case .classification(let labels): labels.count
        case .maskedLM(_, let targets): targets.count
        case .contrastive(let pairs, _, _): pairs
        }
    }
}

/// An encoder with a head that can compute gradients.
public protocol TrainableEncoder: TextEncoder {
    var trainingBackend: any TrainingBackend { get }
    /// LoRA targets that put an adapter on every linear layer of the encoder.
    var linearAdapterTargets: [String] { get }
    /// The multiply-adds of the encoder's forward pass over `batch` (a head of a few outputs
    /// left out).
    func forwardMultiplyAdds(_ batch: [EncoderInput]) -> ForwardMultiplyAdds
    /// Parameters in a fixed order, named as in Hugging Face checkpoints: `.all` every weight;
    /// `.adapters` the adapters plus a head that is new to the task (trained in full and saved
    /// beside the adapter, as peft's modules_to_save).
    func parameters(_ set: TrainableSet) -> [Parameter]
    /// Adds low-rank adapters to the targeted encoder modules (see `Bert.adapterTargets`).
    func attachAdapters(_ settings: LoRAConfiguration, weights: [String: Tensor]?, seed: UInt64) throws
    /// A copy with float32 weights of its own (full fine-tuning).
    func floatCopy() throws -> Self
    /// Summed cross-entropy of the head's predictions against `objective`. With `gradients`,
    /// also adds d(lossScale * loss)/d(parameter) into them.
    func loss(_ batch: [EncoderInput], objective: EncoderObjective, gradients: Gradients?, lossScale: Float,
              dropoutSeed: UInt64) throws -> LossTerms
}

/// An encoder that can take a new classification head for a task's labels (a pretrained
/// BertModel becomes a BertForSequenceClassification).
public protocol ClassifierBuilding: TextEncoder {
    /// A classifier over this encoder's weights (shared, not copied) with a fresh head for
    /// `labels`, initialised as transformers does (normal(0, initializer_range), bias 0).
    func addingClassifier(labels: [String], seed: UInt64) throws -> any SequenceClassifier & TrainableEncoder
}
