// Decoders: how token ids become text again (the `decoder` of tokenizer.json). Byte-level BPE
// concatenates token bytes; WordPiece joins words with spaces and glues "##" continuations
// (tokenizers' decoders/wordpiece.rs), then removes the spaces it put before punctuation;
// SentencePiece turns "▁" back into spaces and "<0xNN>" tokens into bytes.

/// How tokens are joined into text.
enum TokenDecoder: Sendable, Equatable {
    /// Tokens spell bytes in GPT-2's byte alphabet; decoding concatenates those bytes.
    case byteLevel
    /// Tokens are text: a space before each one but the first, except continuations, which
    /// lose `prefix` instead; `cleanup` then removes the space before punctuation in each.
    case wordPiece(prefix: String, cleanup: Bool)
    /// Tokens are text with "▁" for spaces (`Replace("▁", " ")` or `Metaspace`); with
    /// `byteFallback`, "<0xNN>" stands for that byte (`ByteFallback`); `firstToken` says which
    /// spaces of the first token go, as the encoder prepended one.
    case sentencePiece(byteFallback: Bool, firstToken: FirstTokenSpaces)

    /// The spaces the SentencePiece decoders drop from the first token.
    enum FirstTokenSpaces: Sendable {
        case kept
        /// Its leading space: `Strip(" ", 1, 0)` after `Fuse` strips the text's first scalar,
        /// which is the first token's.
        case leading
        /// All of them: the `Metaspace` decoder drops every "▁" of the first token (a real
        /// space in it, which only an added token could have, is dropped here too).
        case all
    }

    /// The bytes a vocabulary entry stands for.
    func bytes(of token: String) -> [UInt8] {
        switch self {
        case .byteLevel:
            return ByteLevel.bytes(of: token)
        case .wordPiece:
            return Array(token.utf8)
        case let .sentencePiece(byteFallback, _):
            let utf8 = Array(token.utf8)
            // tokenizers' ByteFallback: exactly "<0x" two hex digits ">".
            if byteFallback, utf8.count == 6, utf8.starts(with: "<0x".utf8), utf8[5] == UInt8(ascii: ">"),
               let byte = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16) {
                return [byte]
            }
            return utf8.replacing(Array(Metaspace.replacement.utf8), with: [0x20])
        }
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
        case let .sentencePiece(_, firstToken):
            switch (isFirst, firstToken) {
            case (true, .leading) where token.first == 0x20: text += token.dropFirst()
            case (true, .all): text += token.filter { $0 != 0x20 }
            default: text += token
            }
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

    /// `text` with each replacement made in turn. Every pattern is ASCII, so working on UTF-8
    /// bytes is exact.
    func apply(to text: [UInt8]) -> [UInt8] {
        guard text.contains(0x20) else { return text }
        return replacements.reduce(text) { $0.replacing($1.from, with: $1.to) }
    }
}
