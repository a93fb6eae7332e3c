// SentencePiece-style tokenization (Kudo & Richardson 2018, "SentencePiece: A simple and
// language independent subword tokenizer"), as Hugging Face `tokenizers` runs converted
// SentencePiece models (Llama 2, Mistral, Gemma, T5): spaces are spelled "▁" (U+2581), the model
// works on Unicode scalars rather than bytes, and scalars the vocabulary lacks become their UTF-8
// bytes as "<0xNN>" tokens (byte fallback) or the unknown token.

/// Whether the Metaspace pre-tokenizer puts a "▁" before a text that does not start with one
/// (`prepend_scheme`): before the first text only (not after an added token that starts the
/// input), before every text between added tokens, or never.
enum PrependScheme: String, Sendable {
    case first, always, never
}

/// Hugging Face `Metaspace`: spaces become "▁" and, as `prependScheme` says, a "▁" goes first so
/// the first word is spelled like the others.
struct Metaspace: Sendable, Equatable {
    static let replacement = "\u{2581}"
    var prependScheme: PrependScheme
    /// After `WhitespaceSplit` (T5): each word between whitespace is rewritten on its own, so
    /// runs of whitespace vanish and every word gets its "▁".
    var afterWhitespaceSplit = false

    /// `text` (a stretch between added tokens) rewritten; `atStart` when it begins the input.
    func apply(_ text: String, atStart: Bool) -> String {
        let replaced = text.replacingScalars(" ", with: Self.replacement)
        let prepends = prependScheme == .always || (prependScheme == .first && atStart)
        return prepends && !replaced.utf8.starts(with: Self.replacement.utf8) ? Self.replacement + replaced : replaced
    }
}

/// How a SentencePiece model spells scalars it has no piece for (tokenizers' models/bpe
/// `merge_word` and models/unigram `tokenize`).
struct UnknownSpelling: Sendable {
    /// The id of each byte's "<0xNN>" token, where byte fallback is on and the vocabulary has it.
    let byteIDs: [Int32?]
    let unknownID: Int32?

    /// `byteFallback` off leaves every byte without a token.
    init(byteFallback: Bool, unknownID: Int32?, ids: [[UInt8]: Int32]) {
        byteIDs = (0..<256).map { byteFallback ? ids[Array(Self.byteToken(UInt8($0)).utf8)] : nil }
        self.unknownID = unknownID
    }

    /// "<0x0A>": the spelling `tokenizers` and llama.cpp give a byte token.
    static func byteToken(_ byte: UInt8) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        return String(decoding: Array("<0x".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)], UInt8(ascii: ">")], as: UTF8.self)
    }

    /// The byte tokens of `bytes`, or nil unless every byte has one.
    func byteTokens(_ bytes: some Collection<UInt8>) -> [Int32]? {
        var ids: [Int32] = []
        ids.reserveCapacity(bytes.count)
        for byte in bytes {
            guard let id = byteIDs[Int(byte)] else { return nil }
            ids.append(id)
        }
        return ids
    }
}

/// BPE over the Unicode scalars of a word, SentencePiece style: a scalar without a piece is spelled
/// in byte tokens before merging, or else is the unknown token, consecutive unknown scalars fused
/// into one when `fuseUnknown` (tokenizers' `fuse_unk`).
struct SentencePieceBPE: Sendable {
    let bpe: BPE
    /// Ids by the UTF-8 of single scalars; byte-exact keys, as `WordPiece.ids`.
    private let scalarIDs: [[UInt8]: Int32]
    private let unknown: UnknownSpelling
    private let fuseUnknown: Bool

    init(bpe: BPE, ids: [[UInt8]: Int32], unknown: UnknownSpelling, fuseUnknown: Bool) {
        self.bpe = bpe
        self.scalarIDs = ids.filter { String(decoding: $0.key, as: UTF8.self).unicodeScalars.count == 1 }
        self.unknown = unknown
        self.fuseUnknown = fuseUnknown
    }

    /// The ids of the word `text[word]`.
    func encode(_ text: ScalarText, _ word: Range<Int>) -> [Int32] {
        let bytes = text.bytes(word)
        if let id = bpe.wholeWord(String(decoding: bytes, as: UTF8.self)) { return [id] }
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        // As `merge_word`: a pending unknown is written when the next scalar has a piece (byte
        // tokens do not flush it, so they come first), or at the end.
        var pendingUnknown = false
        for i in word {
            let scalar = text.bytes(i..<i + 1)
            if let id = scalarIDs[Array(scalar)] {
                if pendingUnknown, let unknownID = unknown.unknownID { symbols.append(unknownID) }
                pendingUnknown = false
                symbols.append(id)
            } else if let ids = unknown.byteTokens(scalar) {
                symbols += ids
            } else if let unknownID = unknown.unknownID {
                if pendingUnknown && !fuseUnknown { symbols.append(unknownID) }
                pendingUnknown = true
            }
        }
        if pendingUnknown, let unknownID = unknown.unknownID { symbols.append(unknownID) }
        bpe.merge(&symbols)
        return symbols
    }

    /// Ids by the UTF-8 of each token, the first id where several tokens spell the same bytes.
    /// Byte-exact keys: String keys would take canonically equivalent pieces ("각" and its
    /// conjoining jamo) for one.
    static func idsByUTF8(_ tokens: [String?]) -> [[UInt8]: Int32] {
        var ids: [[UInt8]: Int32] = [:]
        for (id, token) in tokens.enumerated() {
            if let token, ids[Array(token.utf8)] == nil { ids[Array(token.utf8)] = Int32(id) }
        }
        return ids
    }

    /// SentencePiece merges from piece scores, as llama.cpp's `llm_tokenizer_spm` applies them:
    /// two adjacent symbols merge when their concatenation is a piece, the highest-scoring piece
    /// first and the leftmost among equal scores. Every split of a piece into two pieces is a
    /// merge ranked by the piece's score, so the rank-then-leftmost BPE loop does the same.
    /// `ids` are the ids by UTF-8 (first id of a text); `tokens` and `scores` by id.
    static func merges(tokens: [String], scores: [Float], ids: [[UInt8]: Int32]) -> [(left: Int32, right: Int32, merged: Int32, rank: UInt32)] {
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var ranks = [UInt32](repeating: 0, count: scores.count)
        for (position, id) in order.enumerated() where position > 0 {
            ranks[id] = ranks[order[position - 1]] + (scores[id] == scores[order[position - 1]] ? 0 : 1)
        }
        var merges: [(left: Int32, right: Int32, merged: Int32, rank: UInt32)] = []
        for (id, token) in tokens.enumerated() where ids[Array(token.utf8)] == Int32(id) {
            let bytes = Array(token.utf8)
            for cut in token.unicodeScalars.indices.dropFirst().map({ token.utf8.distance(from: token.startIndex, to: $0) }) {
                guard let left = ids[Array(bytes[..<cut])], let right = ids[Array(bytes[cut...])] else { continue }
                merges.append((left, right, Int32(id), ranks[id]))
            }
        }
        return merges
    }
}
