// Building Gemma 3 from a Hugging Face directory (`gemma3_text`) or a GGUF file (arch
// `gemma3`). llama.cpp's converter renames tensors, stores each norm weight as 1 + w and does
// not permute q/k rows (Gemma's RoPE is the rotate-half form in both).
import AfinaFormats
import AfinaTensor

extension Gemma3: Architecture {
    public static func load(huggingFace config: [String: Any], weights: WeightTable,
                            backend: any Backend) throws -> any LanguageModel {
        try Gemma3(config: Gemma3Config(huggingFace: config), weights: weights, normsIncludeOne: false, backend: backend)
    }

    public static func load(gguf file: GGUFFile, backend: any Backend) throws -> any LanguageModel {
        let config = try Gemma3Config(gguf: file)
        var tensors: [String: Tensor] = [:]
        for info in file.tensors {
            let name = try huggingFaceName(gguf: info.name, source: file.url.lastPathComponent)
            tensors[name] = backend.tensor(bytes: file.data(for: info), dtype: info.dtype, shape: info.shape, owner: file)
        }
        return try Gemma3(config: config, weights: WeightTable(tensors, source: file.url.path), normsIncludeOne: true,
                          backend: backend)
    }

    /// GGUF tensor stems and their Hugging Face names: whole-model, then per layer.
    static let ggufGlobalNames = ["token_embd": "model.embed_tokens", "output_norm": "model.norm"]
    static let ggufLayerNames = [
        "attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
        "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "attn_q_norm": "self_attn.q_norm",
        "attn_k_norm": "self_attn.k_norm", "post_attention_norm": "post_attention_layernorm",
        "ffn_norm": "pre_feedforward_layernorm", "post_ffw_norm": "post_feedforward_layernorm",
        "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
    ]

    static func huggingFaceName(gguf name: String, source: String) throws -> String {
        try ggufToHuggingFace(name, global: ggufGlobalNames, layer: ggufLayerNames, source: source)
    }
}
