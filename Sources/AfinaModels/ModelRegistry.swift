// Which code builds which architecture: one line per supported model type.
import AfinaFormats
import AfinaTensor

/// An architecture that can be built from a checkpoint: the network with the heads its
/// weights carry.
public protocol Architecture {
    /// From a Hugging Face `config.json` and its weights (HF names and layout).
    static func load(huggingFace config: [String: Any], weights: WeightTable,
                     backend: any Backend) throws -> any LanguageModel
    /// From a GGUF file (metadata and tensors as llama.cpp writes them).
    static func load(gguf file: GGUFFile, backend: any Backend) throws -> any LanguageModel
}

public enum ModelRegistry {
    /// `model_type` (config.json) or `general.architecture` (GGUF) -> implementation.
    public static let architectures: [String: any Architecture.Type] = [
        "bert": Bert.self,
        "gemma3": Gemma3.self,
        "gemma3_text": Gemma3.self,
        "llama": Llama.self,
        "mistral": Llama.self,
        "qwen2": Llama.self,
        "t5": T5.self,
    ]

    public static func architecture(_ name: String) throws -> any Architecture.Type {
        guard let a = architectures[name] else {
            throw ModelError.unknownArchitecture(name, supported: architectures.keys.sorted())
        }
        return a
    }
}
