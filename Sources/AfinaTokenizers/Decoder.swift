// Decoders: how token ids become text again (the `decoder` of tokenizer.json). Byte-level BPE
// concatenates token bytes; WordPiece joins words with spaces and glues "##" continuations
// (tokenizers' decoders/wordpiece.rs), then removes the spaces it put before punctuation.

/// How tokens are joined into text.
enum TokenDecoder: Sendable, Equatable {
    /// Tokens spell bytes in GPT-2's byte alphabet; decoding concatenates those bytes.
    case byteLevel
    /// Tokens are text: a space before each one but the first, except continuations, which
    /// lose `prefix` instead; `cleanup` then removes the space before punctuation in each.
    case wordPiece(prefix: String, cleanup: Bool)

    /// The bytes a vocabulary entry stands for.
    func bytes(of token: String) -> [UInt8] {
        self == .byteLevel ? ByteLevel.bytes(of: token) : Array(token.utf8)
    }

    /// Appends the text `token` (its `bytes(of:)`) contributes; `isFirst` when no token was
    /// decoded before it.
    func append(_ token: ArraySlice<UInt8>, isFirst: Bool, to text: inout [UInt8]) {
        switch self {
        case .byteLevel:
            text += token
        case let .wordPiece(prefix, cleanup):
            var piece = Array(token)
            if !isFirst {
                if token.starts(with: prefix.utf8) { piece.removeFirst(prefix.utf8.count) } else { piece.insert(0x20, at: 0) }
            }
            text += cleanup ? SpaceCleanup.wordPiece.apply(to: piece) : piece
        }
    }
}

/// Replacements that undo the spaces a word-joining decoder puts before punctuation and
/// English contractions.
struct SpaceCleanup: Sendable {
    let replacements: [(from: [UInt8], to: [UInt8])]

    /// The WordPiece decoder's, in its order.
    private static let wordPieceRules = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ]

    /// The WordPiece decoder's, applied to each token with its leading space.
    static let wordPiece = SpaceCleanup(wordPieceRules)

    /// transformers' `clean_up_tokenization`, applied to the whole decoded text when
    /// tokenizer_config.json asks for it (`clean_up_tokenization_spaces`): the same but " do not".
    static let transformers = SpaceCleanup(wordPieceRules.filter { $0.0 != " do not" })

    private init(_ replacements: [(String, String)]) {
        self.replacements = replacements.map { (Array($0.utf8), Array($1.utf8)) }
    }

    /// `text` with each replacement made in turn, left to right without overlaps (Rust's
    /// `str::replace`). Every pattern is ASCII, so working on UTF-8 bytes is exact.
    func apply(to text: [UInt8]) -> [UInt8] {
        guard text.contains(0x20) else { return text }
        var text = text
        for (from, to) in replacements {
            var result: [UInt8] = [], i = 0
            result.reserveCapacity(text.count)
            while i < text.count {
                if text[i] == from[0] && text[i...].starts(with: from) {
                    result += to
                    i += from.count
                } else {
                    result.append(text[i])
                    i += 1
                }
            }
            text = result
        }
        return text
    }
}
