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
    /// SentencePiece BPE over scalars; `fuseUnknown` joins consecutive unknown scalars into one
    /// unknown token.
    case sentencePieceBPE(SentencePieceMerges, byteFallback: Bool, fuseUnknown: Bool, ignoreMerges: Bool)
    /// Unigram: one score per token of the vocabulary.
    case unigram(scores: [Double], byteFallback: Bool)
}

/// Where SentencePiece BPE merges come from.
enum SentencePieceMerges {
    /// Pairs of tokens, best first (tokenizer.json).
    case list([(String, String)])
    /// The score of each token by id (GGUF `tokenizer.ggml.scores`): higher merges first.
    case scores([Float])
}

/// A word -> ids model, ready to run.
enum TokenModel: Sendable {
    /// Bytes the vocabulary cannot spell become `unknownID`, or are dropped without one.
    case bpe(BPE, unknownID: Int32?)
    case wordPiece(WordPiece)
    case sentencePieceBPE(SentencePieceBPE)
    case unigram(Unigram)

    /// The ids of the word `text[word]`.
    func encode(_ text: ScalarText, _ word: Range<Int>) -> [Int32] {
        switch self {
        case let .bpe(bpe, unknownID): bpe.encode(text.bytes(word), unknown: unknownID)
        case let .wordPiece(wordPiece): wordPiece.encode(text, word)
        case let .sentencePieceBPE(model): model.encode(text, word)
        case let .unigram(model): model.encode(text, word)
        }
    }
}
