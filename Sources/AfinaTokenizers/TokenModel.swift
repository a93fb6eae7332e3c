// The model of a tokenizer (the `model` of tokenizer.json): what turns one pre-tokenized word
// into token ids.

/// What a loader reads of the model, besides the vocabulary.
enum ModelParts {
    /// Byte-level BPE: merges as pairs of tokens, best first; `ignoreMerges` takes a word that
    /// is a token whole (Llama 3).
    case bpe(merges: [(String, String)], ignoreMerges: Bool)
    /// WordPiece: continuations are spelled with `prefix` ("##"); words longer than
    /// `maxCharacters` scalars are unknown.
    case wordPiece(prefix: String, maxCharacters: Int)
}

/// A word -> ids model, ready to run.
enum TokenModel: Sendable {
    /// Bytes the vocabulary cannot spell become `unknownID`, or are dropped without one.
    case bpe(BPE, unknownID: Int32?)
    case wordPiece(WordPiece)

    /// The ids of the word `text[word]`.
    func encode(_ text: ScalarText, _ word: Range<Int>) -> [Int32] {
        switch self {
        case let .bpe(bpe, unknownID): bpe.encode(text.bytes(word), unknown: unknownID)
        case let .wordPiece(wordPiece): wordPiece.encode(text, word)
        }
    }
}
