// Writing a Hugging Face tokenizer (`tokenizer.json` for the `tokenizers` library and
// `tokenizer_config.json` for transformers) from GGUF tokenizer metadata, for the byte-level
// BPE pipelines this library implements: each `PreTokenizer` is written as the pipeline of
// the model family it comes from (SmolLM2's, Qwen2's, Llama 3's or GPT-2's tokenizer.json),
// which `Tokenizer(directory:)` maps back onto the same pre-tokenizer.
import Foundation

extension GGUFTokenizerMetadata {
    /// `tokenizer.json` and `tokenizer_config.json` (with `chatTemplate`), by file name.
    /// Throws when the metadata does not describe a tokenizer Afina can load.
    public func huggingFaceFiles(chatTemplate: String?) throws -> [String: Data] {
        // Loading it first checks the metadata and settles the BOS/EOS defaults.
        let tokenizer = try Tokenizer(ggufMetadata: self)
        let preTokenizer = tokenizer.preTokenizer
        guard preTokenizer.isByteLevel else {
            throw TokenizerError.unsupported(source: "GGUF", what: "tokenizer.json export of tokenizer.ggml.model '\(model)' (only byte-level BPE)")
        }
        var vocab: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where vocab[token] == nil { vocab[token] = id }
        let model: [String: Any] = [
            "type": "BPE", "dropout": NSNull(), "unk_token": unknownID.map { tokens[Int($0)] } ?? NSNull(),
            "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false,
            "ignore_merges": preTokenizer == .llama3, "vocab": vocab,
            "merges": merges.map { $0.split(separator: " ", omittingEmptySubsequences: false).map(String.init) },
        ]
        let added: [[String: Any]] = tokenizer.addedTokens.map {
            ["id": Int($0.id), "content": $0.content, "single_word": false, "lstrip": false, "rstrip": false,
             "normalized": false, "special": $0.special]
        }
        let json: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added,
            "normalizer": preTokenizer == .qwen2 ? ["type": "NFC"] : NSNull(),
            "pre_tokenizer": Self.preTokenizerJSON(preTokenizer),
            "post_processor": postProcessorJSON(tokenizer),
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": model,
        ]
        func name(_ id: Int32?) -> Any { id.map { tokens[Int($0)] } ?? NSNull() }
        var config: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": name(bosID), "eos_token": name(eosID),
            "pad_token": name(paddingID), "unk_token": name(unknownID), "add_bos_token": tokenizer.addBOS,
            "add_eos_token": tokenizer.addEOS, "clean_up_tokenization_spaces": false,
        ]
        if let chatTemplate { config["chat_template"] = chatTemplate }
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        return ["tokenizer.json": try JSONSerialization.data(withJSONObject: json, options: options),
                "tokenizer_config.json": try JSONSerialization.data(withJSONObject: config, options: options.union(.prettyPrinted))]
    }

    /// BOS/EOS around each sequence as a TemplateProcessing, as Llama 3's tokenizer.json;
    /// otherwise ByteLevel, which adds nothing.
    private func postProcessorJSON(_ tokenizer: Tokenizer) -> [String: Any] {
        guard tokenizer.addBOS || tokenizer.addEOS else {
            return ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false]
        }
        var special: [String: Any] = [:]
        for (add, id) in [(tokenizer.addBOS, bosID), (tokenizer.addEOS, eosID)] where add {
            guard let id else { continue }
            special[tokens[Int(id)]] = ["id": tokens[Int(id)], "ids": [Int(id)], "tokens": [tokens[Int(id)]]]
        }
        // [BOS] $A [EOS] for one sequence; a pair repeats it for $B (type id 1).
        func template(_ sequence: String, typeID: Int) -> [[String: Any]] {
            func token(_ add: Bool, _ id: Int32?) -> [[String: Any]] {
                guard add, let id else { return [] }
                return [["SpecialToken": ["id": tokens[Int(id)], "type_id": typeID]]]
            }
            return token(tokenizer.addBOS, bosID) + [["Sequence": ["id": sequence, "type_id": typeID]]]
                + token(tokenizer.addEOS, eosID)
        }
        return ["type": "TemplateProcessing", "single": template("A", typeID: 0),
                "pair": template("A", typeID: 0) + template("B", typeID: 1), "special_tokens": special]
    }

    /// The `pre_tokenizer` of the Hugging Face tokenizers each `PreTokenizer` reproduces.
    private static func preTokenizerJSON(_ preTokenizer: PreTokenizer) -> Any {
        func byteLevel(regex: Bool) -> [String: Any] {
            ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": regex]
        }
        func split(_ regex: String) -> [String: Any] {
            ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": regex], "behavior": "Isolated", "invert": false],
                byteLevel(regex: false)]]
        }
        return switch preTokenizer {
        case .gpt2: byteLevel(regex: true)
        case .smollm: ["type": "Sequence", "pretokenizers": [["type": "Digits", "individual_digits": true],
                                                              byteLevel(regex: true)]]
        case .qwen2, .llama3: split(preTokenizer.splitRegex!)
        case .bert: ["type": "BertPreTokenizer"]
        case .whitespace: ["type": "Whitespace"]
        case .whitespaceSplit: ["type": "WhitespaceSplit"]
        case .sentencePiece, .metaspace, .spaceEnded: NSNull()
        }
    }
}
