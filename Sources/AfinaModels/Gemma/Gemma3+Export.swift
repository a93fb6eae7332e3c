// Writing Gemma 3 for other tools (the shared writers: Export/HuggingFaceDirectory.swift,
// Export/DecoderGGUF.swift). The norms hold 1 + w: a Hugging Face directory gets w back, a GGUF
// the factor itself, as llama.cpp's converter stores it.
import AfinaFormats
import AfinaTensor
import Foundation

extension Gemma3: ExportableModel, HuggingFaceDecoder, GGUFDecoder {
    /// config.json contents as transformers 4 writes `gemma3_text` (which transformers 5 also reads).
    func huggingFaceJSON(bosID: Int32?, eosID: Int32?) throws -> [String: Any] {
        let c = config
        var json: [String: Any] = [
            "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "vocab_size": c.vocabularySize,
            "hidden_size": c.hiddenSize, "intermediate_size": c.intermediateSize, "num_hidden_layers": c.layerCount,
            "num_attention_heads": c.headCount, "num_key_value_heads": c.kvHeadCount, "head_dim": c.headDim,
            "rms_norm_eps": Double(c.rmsNormEps), "max_position_embeddings": c.contextLength,
            "query_pre_attn_scalar": c.queryPreAttnScalar, "sliding_window": c.slidingWindow,
            "layer_types": c.slidingLayers.map { $0 ? "sliding_attention" : "full_attention" },
            "rope_theta": c.globalRoPE.theta, "rope_local_base_freq": c.localRoPE.theta,
            "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": true, "torch_dtype": "float32",
            "bos_token_id": bosID.map { Int($0) } ?? NSNull(), "eos_token_id": eosID.map { Int($0) } ?? NSNull(),
        ]
        guard c.localRoPE.scaling == .none else {
            throw ModelError.invalidArgument("config.json cannot express RoPE scaling on Gemma's local layers")
        }
        json["rope_scaling"] = try c.globalRoPE.huggingFaceScaling()
        return json
    }

    /// The parameters with each norm's w = factor - 1, as transformers holds it.
    var huggingFaceTensors: [(String, Tensor)] {
        let norms = Set((layers.flatMap { $0.norms.map(\.weight) } + [norm]).map(ObjectIdentifier.init))
        return parameters(.all).map { p in
            guard norms.contains(ObjectIdentifier(p.value)) else { return (p.name, p.value) }
            return (p.name, backend.tensor(backend.floats(p.value).map { $0 - 1 }, shape: p.value.shape))
        }
    }

    /// A GGUF carries neither the layer pattern, the local RoPE base nor the attention scale:
    /// llama.cpp fixes them for Gemma 3, so only a model that has those values can be written.
    func ggufArchitecture() throws -> String {
        let c = config
        let fixed = Gemma3Config.llamaCppFixed(layers: c.layerCount, hiddenSize: c.hiddenSize, heads: c.headCount,
                                               headDim: c.headDim)
        guard c.slidingLayers == fixed.slidingLayers, c.localRoPE == fixed.localRoPE,
              c.queryPreAttnScalar == fixed.queryPreAttnScalar else {
            throw ModelError.invalidArgument("this Gemma 3's layer pattern, local RoPE or query_pre_attn_scalar differ "
                + "from what llama.cpp assumes for a gemma3 GGUF; export it as a Hugging Face directory instead")
        }
        return "gemma3"
    }

    var ggufRoPE: RoPEConfig { config.globalRoPE }

    func ggufExtraMetadata(arch: String) -> [(key: String, value: GGUFValue)] {
        [("\(arch).attention.key_length", .uint32(UInt32(config.headDim))),
         ("\(arch).attention.value_length", .uint32(UInt32(config.headDim))),
         ("\(arch).attention.sliding_window", .uint32(UInt32(config.slidingWindow)))]
    }

    var ggufExtraTensors: [GGUFWriter.Tensor] { [] }

    func ggufValues(_ p: Parameter, arch: String) -> [Float] { backend.floats(p.value) }
}
