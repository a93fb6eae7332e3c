// Writing a decoder as a Hugging Face directory that transformers loads: config.json,
// model.safetensors (float32, HF names), and the tokenizer files of the base when it was
// itself a Hugging Face directory. Gemma 3's config and tensors are in Gemma3+Export.swift.
import AfinaTensor
import AfinaTokenizers
import Foundation

extension LlamaConfig {
    /// config.json contents (transformers 4 keys, which transformers 5 also reads).
    public func huggingFaceJSON(bosID: Int32?, eosID: Int32?) throws -> [String: Any] {
        var json: [String: Any] = [
            "architectures": [modelType == "qwen2" ? "Qwen2ForCausalLM" : modelType == "mistral" ? "MistralForCausalLM"
                : "LlamaForCausalLM"],
            "model_type": modelType, "vocab_size": vocabularySize, "hidden_size": hiddenSize,
            "intermediate_size": intermediateSize, "num_hidden_layers": layerCount, "num_attention_heads": headCount,
            "num_key_value_heads": kvHeadCount, "head_dim": headDim, "rms_norm_eps": Double(rmsNormEps),
            "max_position_embeddings": contextLength, "tie_word_embeddings": tieWordEmbeddings,
            "rope_theta": rope.theta, "hidden_act": "silu", "torch_dtype": "float32",
            "bos_token_id": bosID.map { Int($0) } ?? NSNull(), "eos_token_id": eosID.map { Int($0) } ?? NSNull(),
        ]
        if modelType == "llama" { json["attention_bias"] = attentionBias; json["mlp_bias"] = false }
        json["rope_scaling"] = try rope.huggingFaceScaling()
        return json
    }
}

extension RoPEConfig {
    /// config.json's `rope_scaling` (transformers 4 keys), nil without scaling.
    func huggingFaceScaling() throws -> [String: Any]? {
        switch scaling {
        case .none: return nil
        case .linear(let factor): return ["rope_type": "linear", "factor": Double(factor)]
        case let .llama3(factor, low, high, original):
            return ["rope_type": "llama3", "factor": Double(factor), "low_freq_factor": Double(low),
                    "high_freq_factor": Double(high), "original_max_position_embeddings": original]
        case .divisors:
            throw ModelError.invalidArgument("this model's RoPE frequencies come as GGUF divisors, which config.json cannot express")
        }
    }
}

/// A decoder that writes itself as a Hugging Face directory: its config.json, and its tensors
/// with the names and values transformers holds.
protocol HuggingFaceDecoder: TrainableDecoder {
    func huggingFaceJSON(bosID: Int32?, eosID: Int32?) throws -> [String: Any]
    var huggingFaceTensors: [(String, Tensor)] { get }
}

extension HuggingFaceDecoder {
    /// Writes the directory (see `HuggingFaceFiles.write`).
    public func writeHuggingFace(to directory: URL, tokenizer: Tokenizer, tokenizerDirectory: URL?,
                                 tokenizerFrom: String? = nil) throws {
        try HuggingFaceFiles.write(config: try huggingFaceJSON(bosID: tokenizer.bosID, eosID: tokenizer.eosID),
                                   tensors: huggingFaceTensors, backend: backend, tokenizerDirectory: tokenizerDirectory,
                                   tokenizerFrom: tokenizerFrom, to: directory)
    }
}

extension Llama: HuggingFaceDecoder {
    func huggingFaceJSON(bosID: Int32?, eosID: Int32?) throws -> [String: Any] {
        try config.huggingFaceJSON(bosID: bosID, eosID: eosID)
    }

    var huggingFaceTensors: [(String, Tensor)] { parameters(.all).map { ($0.name, $0.value) } }
}

enum HuggingFaceFiles {
    /// Writes config.json and model.safetensors into `directory`, and copies the tokenizer
    /// files of `tokenizerDirectory` (a Hugging Face base) when given. A GGUF base has no
    /// tokenizer files to copy: `tokenizerFrom` (its model spec) then goes into afina.json,
    /// so Afina loads the directory with the base's tokenizer and chat template.
    static func write(config: [String: Any], tensors: [(String, Tensor)], backend: any Backend, tokenizerDirectory: URL?,
                      tokenizerFrom: String?, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: directory.appendingPathComponent("config.json"), options: .atomic)
        try TensorFiles.write(tensors, backend: backend, metadata: ["format": "pt"],
                              to: directory.appendingPathComponent("model.safetensors"))
        guard let source = tokenizerDirectory else {
            guard let tokenizerFrom else { return }
            let note = try JSONSerialization.data(withJSONObject: ["tokenizer_from": tokenizerFrom], options: [.sortedKeys])
            return try note.write(to: directory.appendingPathComponent("afina.json"), options: .atomic)
        }
        // afina.json too: a directory Afina wrote from a GGUF base names that base's tokenizer.
        try copy(["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja",
                  "generation_config.json", "vocab.json", "merges.txt", "tokenizer.model", "spiece.model", "afina.json"],
                 from: source, to: directory)
    }

    /// Copies those of `names` (paths relative to the directories) that `source` has, replacing
    /// what `destination` holds.
    static func copy(_ names: [String], from source: URL, to destination: URL) throws {
        let fm = FileManager.default
        for name in names {
            let (from, to) = (source.appendingPathComponent(name), destination.appendingPathComponent(name))
            guard fm.fileExists(atPath: from.path) else { continue }
            try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? fm.removeItem(at: to)
            try fm.copyItem(at: from, to: to)
        }
    }
}
