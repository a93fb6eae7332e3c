// A byte-level BPE tokenizer with Hugging Face `tokenizers` semantics (GPT-2, SmolLM2, Qwen2,
// Llama 3): added tokens are cut out of the raw text, the rest is NFC-normalized where the
// model asks for it, split into words by the pre-tokenizer, and each word's UTF-8 bytes are
// merged by BPE. Decoding concatenates token bytes and replaces invalid UTF-8 with U+FFFD.

/// Everything a loader reads from a tokenizer description.
struct TokenizerParts {
    /// Names the description in errors: a file path or "GGUF".
    var source: String
    /// Token text by id (byte-level spelling for BPE tokens); nil where no token has that id.
    var tokens: [String?]
    var merges: [(String, String)]
    var addedTokens: [AddedToken] = []
    var preTokenizer: PreTokenizer
    var normalizesNFC = false
    var ignoreMerges = false
    var bosID: Int32?
    var eosID: Int32?
    var padID: Int32?
    var unknownID: Int32?
    var addBOS = false
    var addEOS = false
}

/// Turns text into token ids and back. Immutable and safe to share between threads.
public final class Tokenizer: Sendable {
    /// The number of token ids (the largest id plus one).
    public let vocabularySize: Int
    /// The beginning-of-sequence token, if the model has one.
    public let bosID: Int32?
    /// The end-of-sequence token, if the model names one.
    public let eosID: Int32?
    /// The padding token, if the model names one.
    public let padID: Int32?
    /// The token for bytes the vocabulary cannot spell, if any.
    public let unknownID: Int32?
    /// Whether `encode(_:addSpecial: true)` starts with `bosID`.
    public let addBOS: Bool
    /// Whether `encode(_:addSpecial: true)` ends with `eosID`.
    public let addEOS: Bool
    /// How text is split into words before BPE.
    public let preTokenizer: PreTokenizer
    /// Tokens matched whole in text (special and control tokens, and user-defined ones).
    public let addedTokens: [AddedToken]
    /// The ids of special (control) tokens, ascending.
    public let specialIDs: [Int32]

    private let tokens: [String?]
    private let tokenIDs: [String: Int32]
    /// Bytes of token `id` are `tokenBytes[byteOffsets[id]..<byteOffsets[id + 1]]`.
    private let tokenBytes: [UInt8]
    private let byteOffsets: [Int]
    private let specialFlags: [Bool]
    private let normalizesNFC: Bool
    private let bpe: BPE
    private let matcher: AddedTokenMatcher
    private let cache = WordCache()

    /// Ids beyond this are taken as corrupt rather than allocated for.
    static let maxVocabularySize: Int32 = 1 << 24

    init(_ parts: TokenizerParts) throws {
        let source = parts.source
        var tokens = parts.tokens
        for added in parts.addedTokens {
            guard (0..<Self.maxVocabularySize).contains(added.id) else {
                throw TokenizerError.invalid(source: source, reason: "added token '\(added.content)' has id \(added.id), outside 0..<2^24")
            }
            if Int(added.id) >= tokens.count { tokens += [String?](repeating: nil, count: Int(added.id) + 1 - tokens.count) }
            tokens[Int(added.id)] = added.content
        }
        var tokenIDs: [String: Int32] = [:]
        tokenIDs.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            if let token, tokenIDs[token] == nil { tokenIDs[token] = Int32(id) }
        }
        for added in parts.addedTokens { tokenIDs[added.content] = added.id }

        var merges: [(Int32, Int32, Int32)] = []
        merges.reserveCapacity(parts.merges.count)
        for (rank, (left, right)) in parts.merges.enumerated() {
            for part in [left, right, left + right] where tokenIDs[part] == nil {
                throw TokenizerError.invalid(
                    source: source, reason: "merge \(rank) ('\(left)' '\(right)') names '\(part)', which is not in the vocabulary")
            }
            merges.append((tokenIDs[left]!, tokenIDs[right]!, tokenIDs[left + right]!))
        }
        let byteIDs = ByteLevel.characterOfByte.map { tokenIDs[String($0)] }

        for (name, id) in [("bos", parts.bosID), ("eos", parts.eosID), ("pad", parts.padID), ("unknown", parts.unknownID)] {
            if let id, !tokens.indices.contains(Int(id)) || tokens[Int(id)] == nil {
                throw TokenizerError.invalid(source: source, reason: "\(name) token id \(id) is not in the vocabulary")
            }
        }
        if parts.addBOS && parts.bosID == nil {
            throw TokenizerError.invalid(source: source, reason: "asks to add a BOS token but names none")
        }
        if parts.addEOS && parts.eosID == nil {
            throw TokenizerError.invalid(source: source, reason: "asks to add an EOS token but names none")
        }

        var tokenBytes: [UInt8] = [], byteOffsets = [0]
        byteOffsets.reserveCapacity(tokens.count + 1)
        for token in tokens {
            if let token { tokenBytes += ByteLevel.bytes(of: token) }
            byteOffsets.append(tokenBytes.count)
        }
        var specialFlags = [Bool](repeating: false, count: tokens.count)
        for added in parts.addedTokens where added.special { specialFlags[Int(added.id)] = true }

        self.vocabularySize = tokens.count
        self.bosID = parts.bosID
        self.eosID = parts.eosID
        self.padID = parts.padID
        self.unknownID = parts.unknownID
        self.addBOS = parts.addBOS
        self.addEOS = parts.addEOS
        self.preTokenizer = parts.preTokenizer
        self.addedTokens = parts.addedTokens
        self.specialIDs = specialFlags.indices.filter { specialFlags[$0] }.map(Int32.init)
        self.tokens = tokens
        self.tokenIDs = tokenIDs
        self.tokenBytes = tokenBytes
        self.byteOffsets = byteOffsets
        self.specialFlags = specialFlags
        self.normalizesNFC = parts.normalizesNFC
        self.bpe = BPE(merges: merges, byteIDs: byteIDs, wholeWords: parts.ignoreMerges ? tokenIDs : nil)
        self.matcher = AddedTokenMatcher(parts.addedTokens)
    }

    // MARK: Encoding

    /// The token ids of `text`, as Hugging Face `tokenizer(text)["input_ids"]`.
    /// - Parameters:
    ///   - addSpecial: add the BOS/EOS tokens the model's post-processor adds (`addBOS`, `addEOS`).
    ///   - parseSpecial: match special tokens written in the text (`<|im_start|>`) as those
    ///     tokens; false encodes them as plain text (for untrusted input).
    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecial && addBOS, let bosID { ids.append(bosID) }
        if addedTokens.isEmpty {
            encodeOrdinary(text, into: &ids)
        } else {
            let bytes = Array(text.utf8)
            for piece in matcher.split(bytes, parseSpecial: parseSpecial) {
                switch piece {
                case let .token(id): ids.append(id)
                case let .text(range): encodeOrdinary(String(decoding: bytes[range], as: UTF8.self), into: &ids)
                }
            }
        }
        if addSpecial && addEOS, let eosID { ids.append(eosID) }
        return ids
    }

    /// Text with no added tokens in it: normalize, pre-tokenize, then BPE each word.
    private func encodeOrdinary(_ text: String, into ids: inout [Int32]) {
        // Scalars below U+0300 are unchanged by NFC whatever surrounds them. The standard
        // library's NFC is used because Foundation's on Linux turns some old Hangul jamo
        // sequences (U+1113 U+1165) into U+FFFD.
        let needsNFC = normalizesNFC && text.unicodeScalars.contains { $0.value >= 0x300 }
        let scalars = ScalarText(needsNFC ? String(decoding: text._nfcCodeUnits, as: UTF8.self) : text)
        for word in preTokenizer.split(scalars) {
            let bytes = scalars.bytes(word)
            let key = String(decoding: bytes, as: UTF8.self)
            if let cached = cache.ids(of: key) {
                ids += cached
            } else {
                let wordIDs = bpe.encode(bytes, unknown: unknownID)
                cache.store(wordIDs, for: key)
                ids += wordIDs
            }
        }
    }

    // MARK: Decoding

    /// The text of `ids`, as Hugging Face `tokenizer.decode(ids)`: token bytes joined, invalid
    /// UTF-8 replaced by U+FFFD; ids outside the vocabulary are skipped.
    /// - Parameter skipSpecial: leave out special tokens (`skip_special_tokens=True`).
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids { appendBytes(of: id, skipSpecial: skipSpecial, to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the bytes token `id` stands for (nothing for an unknown id, or for a special
    /// token when `skipSpecial`).
    func appendBytes(of id: Int32, skipSpecial: Bool, to bytes: inout [UInt8]) {
        guard id >= 0 && Int(id) < vocabularySize, !(skipSpecial && specialFlags[Int(id)]) else { return }
        bytes += tokenBytes[byteOffsets[Int(id)]..<byteOffsets[Int(id) + 1]]
    }

    // MARK: Lookup

    /// The id of a token given as the vocabulary spells it (`"<|im_end|>"`, `"Ġthe"`).
    public func id(of token: String) -> Int32? {
        tokenIDs[token]
    }

    /// The token with this id as the vocabulary spells it, or nil for an unknown id.
    public func token(for id: Int32) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    /// Whether `id` is a special (control) token such as `<|im_end|>`.
    public func isSpecial(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < vocabularySize && specialFlags[Int(id)]
    }
}
