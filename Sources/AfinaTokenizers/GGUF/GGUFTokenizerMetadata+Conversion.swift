// Converting tokenizer descriptions for export: GGUF `tokenizer.ggml.*` metadata out of a
// Hugging Face tokenizer (as llama.cpp's convert_hf_to_gguf.py `get_vocab_base` does) and
// back into GGUF key/value pairs (types as gguf-py writes them).
import AfinaFormats
import Foundation

extension PreTokenizer {
    /// The `tokenizer.ggml.pre` name llama.cpp gives this pre-tokenizer; nil for the WordPiece
    /// ones, which its byte-level BPE does not use.
    public var ggufName: String? {
        switch self {
        case .gpt2: "gpt-2"
        case .smollm: "smollm"
        case .qwen2: "qwen2"
        case .llama3: "llama-bpe"
        case .bert, .whitespace, .whitespaceSplit, .sentencePiece, .metaspace, .spaceEnded: nil
        }
    }
}

extension GGUFTokenizerMetadata {
    /// The GGUF description of the tokenizer of a Hugging Face directory (`tokenizer.json`,
    /// `tokenizer_config.json`). Ids without a token, up to `vocabularySize` (the model's
    /// embedding rows, which llama.cpp requires to match), become unused "[PAD<id>]" tokens;
    /// special added tokens are control tokens, other added tokens user-defined.
    public init(huggingFaceDirectory directory: URL, vocabularySize: Int) throws {
        let tokenizer = try Tokenizer(directory: directory)
        let url = directory.appendingPathComponent("tokenizer.json")
        guard tokenizer.preTokenizer.isByteLevel else {
            throw TokenizerError.unsupported(source: url.path, what: "GGUF export of a tokenizer that is not byte-level BPE")
        }
        let file: TokenizerJSON
        do {
            file = try JSONDecoder().decode(TokenizerJSON.self, from: try Data(contentsOf: url))
        } catch {
            throw TokenizerError.unreadable(source: url.path, reason: "\(error)")
        }
        let added = Dictionary(tokenizer.addedTokens.map { ($0.id, $0.special) }, uniquingKeysWith: { a, _ in a })
        var tokens: [String] = [], types: [Int32] = []
        for id in 0..<Int32(max(vocabularySize, tokenizer.vocabularySize)) {
            let type: TokenType
            if let token = tokenizer.token(for: id) {
                tokens.append(token)
                type = added[id].map { $0 ? .control : .userDefined } ?? .normal
            } else {
                tokens.append("[PAD\(id)]")
                type = .unused
            }
            types.append(type.rawValue)
        }
        let merges = try file.model.merges.enumerated().map { rank, merge in
            guard let (left, right) = merge.parts else {
                throw TokenizerError.invalid(source: url.path, reason: "merge \(rank) is not two tokens")
            }
            return left + " " + right
        }
        self.init(model: "gpt2", pre: tokenizer.preTokenizer.ggufName, tokens: tokens, tokenTypes: types, merges: merges,
                  bosID: tokenizer.bosID, eosID: tokenizer.eosID, unknownID: tokenizer.unknownID,
                  paddingID: tokenizer.padID, addBOS: tokenizer.addBOS, addEOS: tokenizer.addEOS)
    }

    /// The `tokenizer.ggml.*` key/value pairs, in llama.cpp's order and types.
    public var ggufMetadata: [(key: String, value: GGUFValue)] {
        var pairs: [(key: String, value: GGUFValue)] = [
            ("tokenizer.ggml.model", .string(model)),
        ]
        if let pre { pairs.append(("tokenizer.ggml.pre", .string(pre))) }
        pairs.append(("tokenizer.ggml.tokens", .array(tokens.map(GGUFValue.string))))
        // SentencePiece ("llama") tokenizers merge by piece score and have no merge list.
        if !scores.isEmpty { pairs.append(("tokenizer.ggml.scores", .array(scores.map(GGUFValue.float32)))) }
        if !tokenTypes.isEmpty { pairs.append(("tokenizer.ggml.token_type", .array(tokenTypes.map(GGUFValue.int32)))) }
        if model == "gpt2" || !merges.isEmpty { pairs.append(("tokenizer.ggml.merges", .array(merges.map(GGUFValue.string)))) }
        for (key, id) in [("bos", bosID), ("eos", eosID), ("unknown", unknownID), ("padding", paddingID)] {
            if let id { pairs.append(("tokenizer.ggml.\(key)_token_id", .uint32(UInt32(id)))) }
        }
        if let addBOS { pairs.append(("tokenizer.ggml.add_bos_token", .bool(addBOS))) }
        if let addEOS { pairs.append(("tokenizer.ggml.add_eos_token", .bool(addEOS))) }
        if let addSpacePrefix { pairs.append(("tokenizer.ggml.add_space_prefix", .bool(addSpacePrefix))) }
        return pairs
    }
}
