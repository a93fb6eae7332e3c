// Loading a tokenizer from GGUF metadata (llama.cpp's `tokenizer.ggml.*` keys, gguf docs
// "GGUF.md", section Tokenizer). Only byte-level BPE (`tokenizer.ggml.model` = "gpt2").
// The pipeline follows the model's Hugging Face tokenizer rather than llama.cpp where they
// differ: pre "qwen2" implies Qwen2's NFC normalizer, and "llama-bpe" ignores merges for
// words that are whole tokens, as its tokenizer.json says.

/// The tokenizer keys of a GGUF file, as plain values (filled by whoever reads the file).
public struct GGUFTokenizerMetadata: Sendable {
    /// Token types of `tokenizer.ggml.token_type`.
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// `tokenizer.ggml.model`: must be "gpt2".
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer name ("smollm", "qwen2", "llama-bpe", "gpt-2").
    public var pre: String?
    /// `tokenizer.ggml.tokens`, by id.
    public var tokens: [String]
    /// `tokenizer.ggml.token_type`, by id (raw values of `TokenType`); empty if absent.
    public var tokenTypes: [Int32]
    /// `tokenizer.ggml.merges`: "left right", best first.
    public var merges: [String]
    /// `tokenizer.ggml.bos_token_id`, `eos_token_id`, `unknown_token_id`, `padding_token_id`.
    public var bosID: Int32?
    public var eosID: Int32?
    public var unknownID: Int32?
    public var paddingID: Int32?
    /// `tokenizer.ggml.add_bos_token`, `add_eos_token`.
    public var addBOS: Bool?
    public var addEOS: Bool?

    public init(model: String, pre: String?, tokens: [String], tokenTypes: [Int32] = [], merges: [String],
                bosID: Int32? = nil, eosID: Int32? = nil, unknownID: Int32? = nil, paddingID: Int32? = nil,
                addBOS: Bool? = nil, addEOS: Bool? = nil) {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosID = bosID
        self.eosID = eosID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.addBOS = addBOS
        self.addEOS = addEOS
    }
}

extension Tokenizer {
    /// The tokenizer described by GGUF metadata. Control and user-defined tokens are matched
    /// whole in text; control tokens are the special ones. `source` names the file in errors.
    public convenience init(ggufMetadata m: GGUFTokenizerMetadata, source: String = "GGUF") throws {
        guard m.model == "gpt2" else {
            throw TokenizerError.unsupported(source: source, what: "tokenizer.ggml.model '\(m.model)' (only byte-level BPE, 'gpt2')")
        }
        guard let name = m.pre else { throw TokenizerError.missing(source: source, key: "tokenizer.ggml.pre") }
        guard let preTokenizer = PreTokenizer(ggufName: name) else {
            throw TokenizerError.unsupported(source: source, what: "tokenizer.ggml.pre '\(name)' (supported: gpt-2, smollm, qwen2, llama-bpe)")
        }
        guard m.tokenTypes.isEmpty || m.tokenTypes.count == m.tokens.count else {
            throw TokenizerError.invalid(source: source, reason: "tokenizer.ggml.token_type has \(m.tokenTypes.count) entries for \(m.tokens.count) tokens")
        }
        let merges = try m.merges.enumerated().map { rank, merge in
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizerError.invalid(source: source, reason: "tokenizer.ggml.merges[\(rank)] '\(merge)' is not two tokens")
            }
            return (String(parts[0]), String(parts[1]))
        }
        let added = m.tokenTypes.enumerated().compactMap { id, type -> AddedToken? in
            switch GGUFTokenizerMetadata.TokenType(rawValue: type) {
            case .control: AddedToken(content: m.tokens[id], id: Int32(id), special: true)
            case .userDefined: AddedToken(content: m.tokens[id], id: Int32(id), special: false)
            default: nil
            }
        }
        var parts = TokenizerParts(source: source, tokens: m.tokens, model: .bpe(merges: merges, ignoreMerges: preTokenizer == .llama3),
                                   addedTokens: added, preTokenizer: preTokenizer)
        parts.normalizer = preTokenizer == .qwen2 ? [.nfc] : []
        parts.bosID = m.bosID
        parts.eosID = m.eosID
        parts.unknownID = m.unknownID
        parts.padID = m.paddingID
        // llama.cpp adds BOS by default for Llama 3 only.
        parts.addBOS = (m.addBOS ?? (preTokenizer == .llama3)) && m.bosID != nil
        parts.addEOS = (m.addEOS ?? false) && m.eosID != nil
        try self.init(parts)
    }
}
