// A tokenizer with Hugging Face `tokenizers` semantics, for byte-level BPE (GPT-2, SmolLM2,
// Qwen2, Llama 3), WordPiece (BERT) and SentencePiece BPE or Unigram (Llama 2, Gemma, T5): added
// tokens are cut out of the text, the rest is normalized (NFC, BERT's lowercasing, spaces to
// "▁"...), split into words by the pre-tokenizer, and each word becomes ids by BPE merges,
// WordPiece or Unigram; the post-processor puts special tokens around the result. Decoding joins
// tokens as the decoder says (bytes for byte-level BPE and byte tokens, with invalid UTF-8
// replaced by U+FFFD; words and "##" continuations for WordPiece; "▁" as spaces).

/// Everything a loader reads from a tokenizer description.
struct TokenizerParts {
    /// Names the description in errors: a file path or "GGUF".
    var source: String
    /// The model's token text by id (byte-level spelling for BPE tokens); nil where no token
    /// has that id. Added tokens come on top.
    var tokens: [String?]
    var model: ModelParts
    var addedTokens: [AddedToken] = []
    var normalizer: [NormalizerStep] = []
    /// The Metaspace pre-tokenizer's rewrite of each text before it is split into words.
    var metaspace: Metaspace?
    var preTokenizer: PreTokenizer
    var decoder = TokenDecoder.byteLevel
    /// Nil for byte-level BPE, whose special tokens are BOS/EOS as `addBOS`/`addEOS` say.
    var postProcessor: PostProcessor?
    var bosID: Int32?
    var eosID: Int32?
    var padID: Int32?
    var unknownID: Int32?
    var clsID: Int32?
    var sepID: Int32?
    var maskID: Int32?
    var addBOS = false
    var addEOS = false
    /// transformers' `clean_up_tokenization_spaces` on the decoded text.
    var cleansUpSpaces = false
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
    /// The token for bytes the vocabulary cannot spell (BPE) or words it cannot (WordPiece).
    public let unknownID: Int32?
    /// The classification token that starts a BERT input (`[CLS]`), if the model names one.
    public let clsID: Int32?
    /// The separator token that ends each text of a BERT input (`[SEP]`), if named.
    public let sepID: Int32?
    /// The token masked language modelling puts in place of hidden ones (`[MASK]`), if named.
    public let maskID: Int32?
    /// Whether `encode(_:addSpecial: true)` starts with `bosID` (byte-level BPE).
    public let addBOS: Bool
    /// Whether `encode(_:addSpecial: true)` ends with `eosID` (byte-level BPE).
    public let addEOS: Bool
    /// How text is split into words before the model.
    public let preTokenizer: PreTokenizer
    /// Tokens matched whole in text (special and control tokens, and user-defined ones).
    public let addedTokens: [AddedToken]
    /// The ids of special (control) tokens, ascending.
    public let specialIDs: [Int32]

    let tokens: [String?]
    let tokenIDs: [String: Int32]
    /// Bytes of token `id` are `tokenBytes[byteOffsets[id]..<byteOffsets[id + 1]]`.
    let tokenBytes: [UInt8]
    let byteOffsets: [Int]
    let specialFlags: [Bool]
    let normalizer: [NormalizerStep]
    let metaspace: Metaspace?
    let model: TokenModel
    let decoder: TokenDecoder
    let postProcessor: PostProcessor
    let cleansUpSpaces: Bool
    /// Added tokens found in the raw text, and those found after normalization.
    let rawMatcher: AddedTokenMatcher
    let normalizedMatcher: AddedTokenMatcher
    let cache = WordCache()

    /// Checks an id before a table of `named` tokens is allocated up to it. Real vocabularies
    /// are dense (ids 0..<n, added tokens right after), so an id that would leave most of the
    /// table empty, or passes 2^24, is taken as corrupt: a fuzzed tokenizer.json with one id of
    /// 15 million took seconds to load.
    static func checkID(_ id: Int32, of token: String, named: Int, source: String) throws {
        let limit = min(1 << 24, 2 * named + 256)
        guard id >= 0 && Int(id) < limit else {
            throw TokenizerError.invalid(source: source, reason: "token '\(token)' has id \(id), outside 0..<\(limit) "
                                         + "(the file names \(named) tokens)")
        }
    }

    init(_ parts: TokenizerParts) throws {
        let source = parts.source
        var tokens = parts.tokens
        let count = tokens.count + parts.addedTokens.count
        for added in parts.addedTokens {
            try Self.checkID(added.id, of: added.content, named: count, source: source)
            if Int(added.id) >= tokens.count { tokens += [String?](repeating: nil, count: Int(added.id) + 1 - tokens.count) }
            tokens[Int(added.id)] = added.content
        }
        var tokenIDs: [String: Int32] = [:]
        tokenIDs.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            if let token, tokenIDs[token] == nil { tokenIDs[token] = Int32(id) }
        }
        for added in parts.addedTokens { tokenIDs[added.content] = added.id }
        let model = try Self.model(parts, tokenIDs: tokenIDs)

        let named = [("bos", parts.bosID), ("eos", parts.eosID), ("pad", parts.padID), ("unknown", parts.unknownID),
                     ("cls", parts.clsID), ("sep", parts.sepID), ("mask", parts.maskID)]
        for (name, id) in named {
            if let id, !tokens.hasToken(id) {
                throw TokenizerError.invalid(source: source, reason: "\(name) token id \(id) is not in the vocabulary")
            }
        }
        if parts.addBOS && parts.bosID == nil {
            throw TokenizerError.invalid(source: source, reason: "asks to add a BOS token but names none")
        }
        if parts.addEOS && parts.eosID == nil {
            throw TokenizerError.invalid(source: source, reason: "asks to add an EOS token but names none")
        }
        if let postProcessor = parts.postProcessor {
            if let problem = postProcessor.problem {
                throw TokenizerError.invalid(source: source, reason: "post_processor: \(problem)")
            }
            for case let .special(ids, _) in postProcessor.single + postProcessor.pair {
                if let id = ids.first(where: { !tokens.hasToken($0) }) {
                    throw TokenizerError.invalid(source: source, reason: "post_processor token id \(id) is not in the vocabulary")
                }
            }
        }

        var tokenBytes: [UInt8] = [], byteOffsets = [0]
        byteOffsets.reserveCapacity(tokens.count + 1)
        for token in tokens {
            if let token { tokenBytes += parts.decoder.bytes(of: token) }
            byteOffsets.append(tokenBytes.count)
        }
        var specialFlags = [Bool](repeating: false, count: tokens.count)
        for added in parts.addedTokens where added.special { specialFlags[Int(added.id)] = true }
        // A normalized added token is looked for as the normalizer writes it.
        let normalizedTokens = parts.addedTokens.filter(\.normalized).map {
            var token = $0
            token.content = parts.normalizer.normalize(token.content)
            return token
        }

        self.vocabularySize = tokens.count
        self.bosID = parts.bosID
        self.eosID = parts.eosID
        self.padID = parts.padID
        self.unknownID = parts.unknownID
        self.clsID = parts.clsID
        self.sepID = parts.sepID
        self.maskID = parts.maskID
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
        self.normalizer = parts.normalizer
        self.metaspace = parts.metaspace
        self.model = model
        self.decoder = parts.decoder
        self.postProcessor = parts.postProcessor
            ?? .bosEOS(bos: parts.addBOS ? parts.bosID : nil, eos: parts.addEOS ? parts.eosID : nil)
        self.cleansUpSpaces = parts.cleansUpSpaces
        self.rawMatcher = AddedTokenMatcher(parts.addedTokens.filter { !$0.normalized })
        self.normalizedMatcher = AddedTokenMatcher(normalizedTokens)
    }

    /// The BPE merge table, WordPiece vocabulary or Unigram pieces, checked against the vocabulary.
    private static func model(_ parts: TokenizerParts, tokenIDs: [String: Int32]) throws -> TokenModel {
        switch parts.model {
        case let .bpe(mergeNames, ignoreMerges):
            let merges = try mergeIDs(mergeNames, source: parts.source) { tokenIDs[$0] }
            let byteIDs = ByteLevel.characterOfByte.map { tokenIDs[String($0)] }
            return .bpe(BPE(merges: merges, byteIDs: byteIDs, wholeWords: ignoreMerges ? tokenIDs : nil), unknownID: parts.unknownID)
        case let .wordPiece(prefix, maxCharacters):
            // `tokenizers` fails on the first word it cannot split when the unknown token is
            // missing; here the file is rejected up front.
            guard let unknownID = parts.unknownID, parts.tokens.hasToken(unknownID) else {
                throw TokenizerError.invalid(source: parts.source, reason: "the WordPiece model's unknown token is not in its vocabulary")
            }
            return .wordPiece(WordPiece(vocabulary: parts.tokens, unknownID: unknownID, prefix: prefix, maxCharacters: maxCharacters))
        case let .sentencePieceBPE(merges, byteFallback, fuseUnknown, ignoreMerges):
            // The model's own vocabulary, by UTF-8.
            let ids = SentencePieceBPE.idsByUTF8(parts.tokens)
            let ranked: [(left: Int32, right: Int32, merged: Int32, rank: UInt32)]
            switch merges {
            case let .list(names):
                ranked = try mergeIDs(names, source: parts.source) { ids[Array($0.utf8)] }.enumerated().map { ($1.0, $1.1, $1.2, UInt32($0)) }
            case let .scores(scores):
                ranked = SentencePieceBPE.merges(tokens: parts.tokens.map { $0 ?? "" }, scores: scores, ids: ids)
            }
            let bpe = BPE(rankedMerges: ranked, wholeWords: ignoreMerges ? tokenIDs : nil)
            let unknown = UnknownSpelling(byteFallback: byteFallback, unknownID: parts.unknownID, ids: ids)
            return .sentencePieceBPE(SentencePieceBPE(bpe: bpe, ids: ids, unknown: unknown, fuseUnknown: fuseUnknown))
        case let .unigram(scores, byteFallback):
            // `tokenizers` needs the unknown token for any scalar no piece starts with.
            guard let unknownID = parts.unknownID, parts.tokens.hasToken(unknownID) else {
                throw TokenizerError.invalid(source: parts.source, reason: "the Unigram model's unknown token is not in its vocabulary")
            }
            let pieces = zip(parts.tokens, scores).map { ($0 ?? "", $1) }
            return .unigram(Unigram(pieces: pieces, unknownID: unknownID, byteFallback: byteFallback))
        }
    }

    /// The ids of merges named by token text: (left, right, merged) in rank order.
    private static func mergeIDs(_ names: [(String, String)], source: String,
                                 id: (String) -> Int32?) throws -> [(Int32, Int32, Int32)] {
        try names.enumerated().map { rank, pair in
            let (left, right) = pair
            guard let l = id(left), let r = id(right), let merged = id(left + right) else {
                let missing = [left, right, left + right].first { id($0) == nil }!
                throw TokenizerError.invalid(source: source, reason: "merge \(rank) ('\(left)' '\(right)') names '\(missing)', which is not in the vocabulary")
            }
            return (l, r, merged)
        }
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

private extension [String?] {
    /// Whether some token has this id.
    func hasToken(_ id: Int32) -> Bool {
        indices.contains(Int(id)) && self[Int(id)] != nil
    }
}
