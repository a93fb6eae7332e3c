// Reading the `tokenizer.ggml.*` keys out of a GGUF file's metadata (AfinaFormats' reader).
import AfinaFormats

extension GGUFTokenizerMetadata {
    /// The tokenizer keys of GGUF metadata; `source` names the file in errors.
    public init(metadata: [String: GGUFValue], source: String) throws {
        func value<T>(_ key: String, _ convert: (GGUFValue) -> T?) throws -> T? {
            guard let raw = metadata["tokenizer.ggml." + key] else { return nil }
            guard let typed = convert(raw) else { throw TokenizerError.missing(source: source, key: "tokenizer.ggml." + key) }
            return typed
        }
        func required<T>(_ key: String, _ convert: (GGUFValue) -> T?) throws -> T {
            guard let typed = try value(key, convert) else { throw TokenizerError.missing(source: source, key: "tokenizer.ggml." + key) }
            return typed
        }
        func id(_ key: String) throws -> Int32? {
            try value(key) { $0.int.flatMap { Int32(exactly: $0) } }
        }
        self.init(model: try required("model", \.string), pre: try value("pre", \.string),
                  tokens: try required("tokens", \.stringArray),
                  tokenTypes: try value("token_type") { $0.intArray?.compactMap { Int32(exactly: $0) } } ?? [],
                  merges: try value("merges", \.stringArray) ?? [],
                  scores: try value("scores", \.floatArray) ?? [],
                  bosID: try id("bos_token_id"), eosID: try id("eos_token_id"),
                  unknownID: try id("unknown_token_id"), paddingID: try id("padding_token_id"),
                  addBOS: try value("add_bos_token", \.bool), addEOS: try value("add_eos_token", \.bool),
                  addSpacePrefix: try value("add_space_prefix", \.bool))
    }
}

extension Tokenizer {
    /// The tokenizer a GGUF file describes in its metadata (byte-level or SentencePiece BPE).
    public convenience init(gguf file: GGUFFile) throws {
        try self.init(ggufMetadata: GGUFTokenizerMetadata(metadata: file.metadata, source: file.url.path),
                      source: file.url.path)
    }
}
