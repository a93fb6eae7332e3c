// Building a Llama-family model from a Hugging Face directory or a GGUF file.
// GGUF (llama.cpp's converter) renames tensors and, for arch "llama", permutes the rows of
// q_proj and k_proj so that RoPE rotates adjacent pairs; undoing that permutation here lets
// one forward pass (rotate-half RoPE, as transformers) serve both formats.
import AfinaFormats
import AfinaTensor
import Foundation

extension Llama: Architecture {
    public static func load(huggingFace config: [String: Any], weights: WeightTable,
                            backend: any Backend) throws -> any LanguageModel {
        try Llama(config: LlamaConfig(huggingFace: config), weights: weights, backend: backend)
    }

    public static func load(gguf file: GGUFFile, backend: any Backend) throws -> any LanguageModel {
        var config = try LlamaConfig(gguf: file)
        var tensors: [String: Tensor] = [:]
        for info in file.tensors {
            if info.name == "rope_freqs.weight" {
                // Llama 3 frequency scaling, stored by llama.cpp as per-frequency divisors.
                let divisors = backend.floats(backend.tensor(bytes: file.data(for: info), dtype: info.dtype,
                                                             shape: info.shape, owner: file))
                config.rope.scaling = .divisors(divisors)
                continue
            }
            let name = try huggingFaceName(gguf: info.name, source: file.url.lastPathComponent)
            var bytes = file.data(for: info)
            var owner: AnyObject = file
            if file.architecture == "llama", let heads = [".q_proj.": config.headCount,
                                                          ".k_proj.": config.kvHeadCount]
                .first(where: { name.contains($0.key) })?.value {
                let rows = unpermuteRotaryRows(bytes, rows: info.shape[0], heads: heads)
                owner = rows
                bytes = UnsafeRawBufferPointer(rows.buffer)
            }
            tensors[name] = backend.tensor(bytes: bytes, dtype: info.dtype, shape: info.shape, owner: owner)
        }
        try config.validate()
        return try Llama(config: config, weights: WeightTable(tensors, source: file.url.path), backend: backend)
    }

    /// GGUF tensor stems and their Hugging Face names: whole-model, then per layer
    /// ("blk.3.attn_q" is "model.layers.3.self_attn.q_proj").
    static let ggufGlobalNames = ["token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"]
    static let ggufLayerNames = ["attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
                                 "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
                                 "ffn_norm": "post_attention_layernorm", "ffn_gate": "mlp.gate_proj",
                                 "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"]

    /// GGUF tensor name -> Hugging Face name ("blk.3.attn_q.weight" -> "model.layers.3.self_attn.q_proj.weight").
    static func huggingFaceName(gguf name: String, source: String) throws -> String {
        try ggufToHuggingFace(name, global: ggufGlobalNames, layer: ggufLayerNames, source: source)
    }
}

/// A GGUF tensor name in Hugging Face's naming, by an architecture's tables of stems: whole-model
/// ("token_embd.weight" -> "model.embed_tokens.weight") or per layer ("blk.3.attn_q.weight" ->
/// "model.layers.3.self_attn.q_proj.weight").
func ggufToHuggingFace(_ name: String, global: [String: String], layer: [String: String], source: String) throws -> String {
    let parts = name.split(separator: ".").map(String.init)
    if parts.count == 2, let hf = global[parts[0]] { return hf + "." + parts[1] }
    if parts.count == 4, parts[0] == "blk", let index = Int(parts[1]), let hf = layer[parts[2]] {
        return "model.layers.\(index).\(hf).\(parts[3])"
    }
    throw ModelError.unexpectedWeights([name], source: source)
}

/// Owned bytes (the un-permuted copy of a tensor).
final class ByteBuffer {
    let buffer: UnsafeMutableRawBufferPointer
    init(count: Int) { buffer = .allocate(byteCount: count, alignment: 64) }
    deinit { buffer.deallocate() }
}

/// Inverts llama.cpp's permutation of q/k rows: within each head, GGUF row 2i + j holds
/// Hugging Face row j * headDim/2 + i. Rows move whole, so quantized blocks stay intact.
func unpermuteRotaryRows(_ bytes: UnsafeRawBufferPointer, rows: Int, heads: Int) -> ByteBuffer {
    let rowBytes = bytes.count / rows, headDim = rows / heads, half = headDim / 2
    let out = ByteBuffer(count: bytes.count)
    for h in 0..<heads {
        for i in 0..<half {
            for j in 0..<2 {
                let from = (h * headDim + 2 * i + j) * rowBytes, to = (h * headDim + j * half + i) * rowBytes
                (out.buffer.baseAddress! + to).copyMemory(from: bytes.baseAddress! + from, byteCount: rowBytes)
            }
        }
    }
    return out
}

extension LlamaConfig {
    /// Reads `<arch>.*` keys as llama.cpp writes them.
    public init(gguf file: GGUFFile) throws {
        let arch = file.architecture
        func int(_ key: String) throws -> Int { try file.int("\(arch).\(key)") }
        modelType = arch
        hiddenSize = try int("embedding_length")
        headCount = try int("attention.head_count")
        kvHeadCount = (try? int("attention.head_count_kv")) ?? headCount
        headDim = (try? int("rope.dimension_count")) ?? hiddenSize / max(headCount, 1)
        intermediateSize = try int("feed_forward_length")
        layerCount = try int("block_count")
        contextLength = try int("context_length")
        rmsNormEps = try file.float("\(arch).attention.layer_norm_rms_epsilon")
        let names = Set(file.tensors.map(\.name))
        vocabularySize = (try? int("vocab_size"))
            ?? file.tensors.first { $0.name == "token_embd.weight" }?.shape.first ?? 0
        tieWordEmbeddings = !names.contains("output.weight")
        attentionBias = names.contains("blk.0.attn_q.bias")
        let theta = Double((try? file.float("\(arch).rope.freq_base")) ?? 10000)
        if (try? file.string("\(arch).rope.scaling.type")) == "linear" {
            rope = RoPEConfig(theta: theta, scaling: .linear(factor: try file.float("\(arch).rope.scaling.factor")))
        } else {
            rope = RoPEConfig(theta: theta)
        }
    }
}
