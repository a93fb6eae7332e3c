// Loading a tokenizer from GGUF metadata (llama.cpp's `tokenizer.ggml.*` keys, gguf docs
// "GGUF.md", section Tokenizer): byte-level BPE (`tokenizer.ggml.model` = "gpt2") and
// SentencePiece BPE ("llama": Llama 2, Mistral, Gemma), whose merges come from the pieces' scores.
// The pipeline follows the tokenizer transformers builds from the same file rather than llama.cpp
// where they differ: pre "qwen2" implies Qwen2's NFC normalizer, "llama-bpe" ignores merges for
// words that are whole tokens, as its tokenizer.json says, and `add_space_prefix` puts "▁" before
// the start of the input only, where llama.cpp also puts one after every special token.

/// The tokenizer keys of a GGUF file, as plain values (filled by whoever reads the file).
public struct GGUFTokenizerMetadata: Sendable {
    /// Token types of `tokenizer.ggml.token_type`.
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE) or "llama" (SentencePiece BPE).
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer name ("smollm", "qwen2", "llama-bpe", "gpt-2").
    public var pre: String?
    /// `tokenizer.ggml.tokens`, by id.
    public var tokens: [String]
    /// `tokenizer.ggml.token_type`, by id (raw values of `TokenType`); empty if absent.
    public var tokenTypes: [Int32]
    /// `tokenizer.ggml.merges`: "left right", best first; byte-level BPE only.
    public var merges: [String]
    /// `tokenizer.ggml.scores`, by id: SentencePiece merges the highest-scoring piece first.
    public var scores: [Float]
    /// `tokenizer.ggml.bos_token_id`, `eos_token_id`, `unknown_token_id`, `padding_token_id`.
    public var bosID: Int32?
    public var eosID: Int32?
    public var unknownID: Int32?
    public var paddingID: Int32?
    /// `tokenizer.ggml.add_bos_token`, `add_eos_token`.
    public var addBOS: Bool?
    public var addEOS: Bool?
    /// `tokenizer.ggml.add_space_prefix`: whether SentencePiece puts "▁" before the text (the
    /// default when absent, as in llama.cpp).
    public var addSpacePrefix: Bool?

    public init(model: String, pre: String?, tokens: [String], tokenTypes: [Int32] = [], merges: [String] = [],
                scores: [Float] = [], bosID: Int32? = nil, eosID: Int32? = nil, unknownID: Int32? = nil,
                paddingID: Int32? = nil, addBOS: Bool? = nil, addEOS: Bool? = nil, addSpacePrefix: Bool? = nil) {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.scores = scores
        self.bosID = bosID
        self.eosID = eosID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
    }
}

extension Tokenizer {
    /// The tokenizer described by GGUF metadata. Control and user-defined tokens are matched
    /// whole in text; control tokens are the special ones. `source` names the file in errors.
    public convenience init(ggufMetadata m: GGUFTokenizerMetadata, source: String = "GGUF") throws {
        guard m.tokenTypes.isEmpty || m.tokenTypes.count == m.tokens.count else {
            throw TokenizerError.invalid(source: source, reason: "tokenizer.ggml.token_type has \(m.tokenTypes.count) entries for \(m.tokens.count) tokens")
        }
        for (key, id) in [("bos", m.bosID), ("eos", m.eosID), ("unknown", m.unknownID), ("padding", m.paddingID)] {
            if let id, !m.tokens.indices.contains(Int(id)) {
                throw TokenizerError.invalid(source: source, reason: "tokenizer.ggml.\(key)_token_id is \(id), past the \(m.tokens.count) tokens")
            }
        }
        // Control and unknown tokens are special (transformers adds the ones it names special too);
        // user-defined ones are matched whole but are not special.
        let added = m.tokenTypes.enumerated().compactMap { id, type -> AddedToken? in
            switch GGUFTokenizerMetadata.TokenType(rawValue: type) {
            case .control, .unknown: AddedToken(content: m.tokens[id], id: Int32(id), special: true)
            case .userDefined: AddedToken(content: m.tokens[id], id: Int32(id), special: false)
            default: nil
            }
        }
        var parts: TokenizerParts
        switch m.model {
        case "gpt2": parts = try Self.byteLevelParts(m, addedTokens: added, source: source)
        case "llama": parts = try Self.sentencePieceParts(m, addedTokens: added, source: source)
        default:
            throw TokenizerError.unsupported(
                source: source, what: "tokenizer.ggml.model '\(m.model)' (supported: 'gpt2', byte-level BPE; 'llama', SentencePiece BPE)")
        }
        parts.bosID = m.bosID
        parts.eosID = m.eosID
        parts.unknownID = m.unknownID
        parts.padID = m.paddingID
        // llama.cpp adds BOS by default for Llama 3 and SentencePiece vocabularies.
        parts.addBOS = (m.addBOS ?? (parts.preTokenizer == .llama3 || m.model == "llama")) && m.bosID != nil
        parts.addEOS = (m.addEOS ?? false) && m.eosID != nil
        try self.init(parts)
    }

    private static func byteLevelParts(_ m: GGUFTokenizerMetadata, addedTokens: [AddedToken], source: String) throws -> TokenizerParts {
        guard let name = m.pre else { throw TokenizerError.missing(source: source, key: "tokenizer.ggml.pre") }
        guard let preTokenizer = PreTokenizer(ggufName: name) else {
            throw TokenizerError.unsupported(source: source, what: "tokenizer.ggml.pre '\(name)' (supported: gpt-2, smollm, qwen2, llama-bpe)")
        }
        guard !m.merges.isEmpty else { throw TokenizerError.missing(source: source, key: "tokenizer.ggml.merges") }
        let merges = try m.merges.enumerated().map { rank, merge in
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError.invalid(source: source, reason: "tokenizer.ggml.merges[\(rank)] '\(merge)' is not two tokens")
            }
            return (String(parts[0]), String(parts[1]))
        }
        var parts = TokenizerParts(source: source, tokens: m.tokens, model: .bpe(merges: merges, ignoreMerges: preTokenizer == .llama3),
                                   addedTokens: addedTokens, preTokenizer: preTokenizer)
        parts.normalizer = preTokenizer == .qwen2 ? [.nfc] : []
        return parts
    }

    /// SentencePiece BPE as transformers' LlamaTokenizer (GemmaTokenizer for Gemma) runs it:
    /// spaces become "▁", with one before the input when `add_space_prefix` (stripped again when
    /// decoding); the whole text is one word; scalars without a piece fall back to byte tokens.
    private static func sentencePieceParts(_ m: GGUFTokenizerMetadata, addedTokens: [AddedToken], source: String) throws -> TokenizerParts {
        guard !m.scores.isEmpty else { throw TokenizerError.missing(source: source, key: "tokenizer.ggml.scores") }
        guard m.scores.count == m.tokens.count else {
            throw TokenizerError.invalid(source: source, reason: "tokenizer.ggml.scores has \(m.scores.count) entries for \(m.tokens.count) tokens")
        }
        let addsSpace = m.addSpacePrefix ?? true
        var parts = TokenizerParts(source: source, tokens: m.tokens,
                                   model: .sentencePieceBPE(.scores(m.scores), byteFallback: true, fuseUnknown: true, ignoreMerges: false),
                                   addedTokens: addedTokens, preTokenizer: .sentencePiece)
        parts.metaspace = Metaspace(prependScheme: addsSpace ? .first : .never)
        parts.decoder = .sentencePiece(byteFallback: true, firstToken: addsSpace ? .leading : .kept)
        return parts
    }
}
