// What bidirectional encoders (the BERT family) offer: hidden states for whole sequences, and
// the heads built on them. Sequences are packed without padding; each attends to itself only.
import AfinaTensor

/// One input sequence of an encoder: token ids and their segment (token type) ids, 0 for a
/// single text, 0 then 1 for a sentence pair.
public struct EncoderInput: Sendable, Equatable {
    public var ids: [Int32]
    public var typeIDs: [Int32]

    public init(ids: [Int32], typeIDs: [Int32]? = nil) {
        precondition(typeIDs == nil || typeIDs!.count == ids.count, "one type id per token")
        (self.ids, self.typeIDs) = (ids, typeIDs ?? [Int32](repeating: 0, count: ids.count))
    }
}

/// A bidirectional encoder: token ids to contextual hidden states.
public protocol TextEncoder: LanguageModel {
    var hiddenSize: Int { get }
    /// The last layer's hidden states [Σ ids.count, hiddenSize], sequences in batch order.
    func hiddenStates(_ batch: [EncoderInput]) throws -> Tensor
}

/// An encoder with a classification head over whole sequences.
public protocol SequenceClassifier: TextEncoder {
    /// Label names by class index (config.json's id2label).
    var labels: [String] { get }
    /// Logits [batch.count, labels.count].
    func classificationLogits(_ batch: [EncoderInput]) throws -> Tensor
}

/// An encoder with a masked-language-model head.
public protocol MaskedLM: TextEncoder {
    /// Vocabulary logits [rows.count, vocabularySize] at the given packed rows.
    func maskedLogits(_ batch: [EncoderInput], rows: [Int]) throws -> Tensor
}

extension TextEncoder {
    /// Checks a batch against the model's positions and vocabulary before it runs.
    func validate(_ batch: [EncoderInput], typeVocabularySize: Int) throws {
        for (i, input) in batch.enumerated() {
            guard !input.ids.isEmpty else { throw ModelError.invalidArgument("input \(i) has no tokens") }
            guard input.ids.count <= contextLength else {
                throw ModelError.contextOverflow(needed: input.ids.count, capacity: contextLength)
            }
            if let bad = input.ids.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
                throw ModelError.invalidArgument("input \(i) has token id \(bad), outside the vocabulary of \(vocabularySize)")
            }
            if let bad = input.typeIDs.first(where: { $0 < 0 || Int($0) >= typeVocabularySize }) {
                throw ModelError.invalidArgument("input \(i) has token type \(bad); the model has \(typeVocabularySize)")
            }
        }
    }
}
