// Writing a Hugging Face tokenizer (`tokenizer.json` for the `tokenizers` library and
// `tokenizer_config.json` for transformers) from GGUF tokenizer metadata. A byte-level BPE
// `PreTokenizer` is written as the pipeline of the model family it comes from (SmolLM2's,
// Qwen2's, Llama 3's or GPT-2's tokenizer.json); a SentencePiece one ("llama": Llama 2, Gemma) as
// the pipeline Afina runs for the GGUF, with the piece scores turned into a merge list.
// `Tokenizer(directory:)` maps either back onto the same tokenizer.
import AfinaFormats
import Foundation

extension GGUFTokenizerMetadata {
    /// `tokenizer.json` and `tokenizer_config.json` (with `chatTemplate`), by file name.
    /// Throws when the metadata does not describe a tokenizer Afina can load.
    public func huggingFaceFiles(chatTemplate: String?) throws -> [String: Data] {
        // Loading it first checks the metadata and settles the BOS/EOS defaults.
        let tokenizer = try Tokenizer(ggufMetadata: self)
        let added: [[String: Any]] = tokenizer.addedTokens.map {
            ["id": Int($0.id), "content": $0.content, "single_word": false, "lstrip": false, "rstrip": false,
             "normalized": false, "special": $0.special]
        }
        let tokenizerJSON: Data
        switch (model, tokenizer.preTokenizer.isByteLevel) {
        case (_, true): tokenizerJSON = try byteLevelJSON(tokenizer, added: added)
        case ("llama", _): tokenizerJSON = try sentencePieceJSON(tokenizer, added: added)
        default:
            throw TokenizerError.unsupported(source: "GGUF", what: "tokenizer.json export of tokenizer.ggml.model '\(model)'")
        }
        func name(_ id: Int32?) -> Any { id.map { tokens[Int($0)] } ?? NSNull() }
        var config: [String: Any] = [
            "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": name(bosID), "eos_token": name(eosID),
            "pad_token": name(paddingID), "unk_token": name(unknownID), "add_bos_token": tokenizer.addBOS,
            "add_eos_token": tokenizer.addEOS, "clean_up_tokenization_spaces": false,
        ]
        if let chatTemplate { config["chat_template"] = chatTemplate }
        return ["tokenizer.json": tokenizerJSON,
                "tokenizer_config.json": try JSONSerialization.data(withJSONObject: config, options: Self.jsonOptions.union(.prettyPrinted))]
    }

    private static let jsonOptions: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]

    private func byteLevelJSON(_ tokenizer: Tokenizer, added: [[String: Any]]) throws -> Data {
        let preTokenizer = tokenizer.preTokenizer
        var vocab: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where vocab[token] == nil { vocab[token] = id }
        let model: [String: Any] = [
            "type": "BPE", "dropout": NSNull(), "unk_token": unknownID.map { tokens[Int($0)] } ?? NSNull(),
            "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false,
            "ignore_merges": preTokenizer == .llama3, "vocab": vocab,
            "merges": merges.map { $0.split(separator: " ", omittingEmptySubsequences: false).map(String.init) },
        ]
        let json: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added,
            "normalizer": preTokenizer == .qwen2 ? ["type": "NFC"] : NSNull(),
            "pre_tokenizer": Self.preTokenizerJSON(preTokenizer),
            "post_processor": postProcessorJSON(tokenizer),
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": model,
        ]
        return try JSONSerialization.data(withJSONObject: json, options: Self.jsonOptions)
    }

    /// SentencePiece BPE as `Tokenizer(ggufMetadata:)` runs it: Metaspace without splitting ("▁"
    /// before the input only when `add_space_prefix`), byte fallback, unknown scalars fused, and
    /// a decoder that strips the prefix space again. The vocabulary and merges are written by
    /// hand: a String-keyed dictionary would merge canonically equivalent pieces. Merges come in
    /// score order; pieces of equal score, which llama.cpp merges leftmost first, get the order
    /// of their ids.
    private func sentencePieceJSON(_ tokenizer: Tokenizer, added: [[String: Any]]) throws -> Data {
        let addsSpace = addSpacePrefix ?? true
        var decoders: [[String: Any]] = [["type": "Replace", "pattern": ["String": "\u{2581}"], "content": " "],
                                         ["type": "ByteFallback"], ["type": "Fuse"]]
        if addsSpace { decoders.append(["type": "Strip", "content": " ", "start": 1, "stop": 0]) }
        let pipeline: [(String, Any)] = [
            ("added_tokens", added), ("normalizer", NSNull()),
            ("pre_tokenizer", ["type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": addsSpace ? "first" : "never",
                               "split": false]),
            ("post_processor", postProcessorJSON(tokenizer)), ("decoder", ["type": "Sequence", "decoders": decoders]),
        ]
        var text = "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null"
        for (key, value) in pipeline {
            let json = try JSONSerialization.data(withJSONObject: value, options: Self.jsonOptions.union(.fragmentsAllowed))
            text += ",\"\(key)\":" + String(decoding: json, as: UTF8.self)
        }
        text += ",\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":"
            + (unknownID.map { JSONText.quoted(tokens[Int($0)]) } ?? "null")
            + ",\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,\"fuse_unk\":true,\"byte_fallback\":true,"
            + "\"ignore_merges\":false,\"vocab\":{"
        text += tokens.enumerated().map { JSONText.quoted($1) + ":\($0)" }.joined(separator: ",")
        text += "},\"merges\":["
        let merges = SentencePieceBPE.merges(tokens: tokens, scores: scores, ids: SentencePieceBPE.idsByUTF8(tokens)).enumerated()
            .sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }
        text += merges.map { "[" + JSONText.quoted(tokens[Int($0.element.left)]) + "," + JSONText.quoted(tokens[Int($0.element.right)]) + "]" }
            .joined(separator: ",")
        text += "]}}"
        return Data(text.utf8)
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
