// Configuration of Gemma 3 text models: plain data, decoded from a Hugging Face config.json
// (`gemma3_text`; transformers 4.x or 5.x keys) or from GGUF metadata (arch `gemma3`, as
// llama.cpp writes it), validated on creation.
import AfinaFormats
import Foundation

public struct Gemma3Config: Sendable, Equatable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    /// Independent of hiddenSize / headCount (256 in the released models).
    public var headDim: Int
    public var rmsNormEps: Float
    public var contextLength: Int
    /// Attention scores are scaled by queryPreAttnScalar^-1/2 (not headDim^-1/2).
    public var queryPreAttnScalar: Double
    /// Keys a local layer's query sees, itself included.
    public var slidingWindow: Int
    /// Per layer: true for a local (sliding-window) layer, false for a global one.
    public var slidingLayers: [Bool]
    /// RoPE of the global layers (base 1e6, maybe linear scaling) and of the local ones (base 1e4).
    public var globalRoPE: RoPEConfig
    public var localRoPE: RoPEConfig

    public func validate() throws {
        try checkSizes([("sliding_window", slidingWindow)])
        guard slidingLayers.count == layerCount else {
            throw ModelError.invalidConfig("layer_types has \(slidingLayers.count) entries for \(layerCount) layers")
        }
        guard queryPreAttnScalar > 0 else { throw ModelError.invalidConfig("query_pre_attn_scalar must be positive") }
    }
}

extension Gemma3Config: DecoderSizes {}

extension Gemma3Config {
    /// The layer pattern of the released models where a file does not list it: every sixth
    /// layer global (transformers' `sliding_window_pattern` default, llama.cpp's swa pattern).
    static func defaultPattern(layers: Int, every: Int = 6) -> [Bool] { (0..<layers).map { ($0 + 1) % every != 0 } }

    public init(huggingFace json: [String: Any]) throws {
        func int(_ key: String) throws -> Int {
            guard let v = json[key] as? NSNumber else { throw ModelError.invalidConfig("missing integer '\(key)'") }
            return v.intValue
        }
        for key in ["attn_logit_softcapping", "final_logit_softcapping"] where json[key] is NSNumber {
            throw ModelError.invalidConfig("'\(key)' (Gemma 2) is not supported: only Gemma 3 text models run")
        }
        vocabularySize = try int("vocab_size")
        hiddenSize = try int("hidden_size")
        intermediateSize = try int("intermediate_size")
        layerCount = try int("num_hidden_layers")
        headCount = try int("num_attention_heads")
        kvHeadCount = (json["num_key_value_heads"] as? NSNumber)?.intValue ?? headCount
        headDim = (json["head_dim"] as? NSNumber)?.intValue ?? 256
        rmsNormEps = (json["rms_norm_eps"] as? NSNumber)?.floatValue ?? 1e-6
        contextLength = (json["max_position_embeddings"] as? NSNumber)?.intValue ?? 131_072
        queryPreAttnScalar = (json["query_pre_attn_scalar"] as? NSNumber)?.doubleValue ?? 256
        slidingWindow = (json["sliding_window"] as? NSNumber)?.intValue ?? 4096
        if let types = json["layer_types"] as? [String] {
            slidingLayers = types.map { $0 == "sliding_attention" }
        } else {
            let every = (json["sliding_window_pattern"] as? NSNumber ?? json["_sliding_window_pattern"] as? NSNumber)?.intValue
            slidingLayers = Self.defaultPattern(layers: layerCount, every: every ?? 6)
        }
        // transformers 5.x: rope_parameters per layer type; 4.x: rope_theta and rope_scaling for
        // the global layers, rope_local_base_freq for the local ones.
        if let perType = json["rope_parameters"] as? [String: Any], let global = perType["full_attention"] as? [String: Any] {
            globalRoPE = try RoPEConfig(huggingFace: global)
            localRoPE = try RoPEConfig(huggingFace: perType["sliding_attention"] as? [String: Any] ?? ["rope_theta": 10000.0])
        } else {
            var global = json["rope_scaling"] as? [String: Any] ?? [:]
            global["rope_theta"] = json["rope_theta"] ?? 1_000_000.0
            globalRoPE = try RoPEConfig(huggingFace: global)
            localRoPE = RoPEConfig(theta: (json["rope_local_base_freq"] as? NSNumber)?.doubleValue ?? 10000)
        }
        try validate()
    }

    /// Reads `gemma3.*` keys as llama.cpp writes them. The file does not carry the layer
    /// pattern, the local RoPE base or the attention scale: llama.cpp fixes them for Gemma 3
    /// (every sixth layer global, base 10000, head_dim^-1/2 except the 62-layer 27B), and so
    /// does this.
    public init(gguf file: GGUFFile) throws {
        func int(_ key: String) throws -> Int { try file.int("gemma3.\(key)") }
        hiddenSize = try int("embedding_length")
        headCount = try int("attention.head_count")
        kvHeadCount = (try? int("attention.head_count_kv")) ?? headCount
        headDim = (try? int("attention.key_length")) ?? 256
        intermediateSize = try int("feed_forward_length")
        layerCount = try int("block_count")
        contextLength = try int("context_length")
        rmsNormEps = try file.float("gemma3.attention.layer_norm_rms_epsilon")
        slidingWindow = try int("attention.sliding_window")
        vocabularySize = (try? int("vocab_size")) ?? file.tensors.first { $0.name == "token_embd.weight" }?.shape.first ?? 0
        let fixed = Self.llamaCppFixed(layers: layerCount, hiddenSize: hiddenSize, heads: headCount, headDim: headDim)
        (slidingLayers, localRoPE, queryPreAttnScalar) = (fixed.slidingLayers, fixed.localRoPE, fixed.queryPreAttnScalar)
        let theta = Double((try? file.float("gemma3.rope.freq_base")) ?? 1_000_000)
        if (try? file.string("gemma3.rope.scaling.type")) == "linear" {
            globalRoPE = RoPEConfig(theta: theta, scaling: .linear(factor: try file.float("gemma3.rope.scaling.factor")))
        } else {
            globalRoPE = RoPEConfig(theta: theta)
        }
        try validate()
    }

    /// What llama.cpp assumes for a Gemma 3 GGUF, which does not carry it.
    static func llamaCppFixed(layers: Int, hiddenSize: Int, heads: Int, headDim: Int)
        -> (slidingLayers: [Bool], localRoPE: RoPEConfig, queryPreAttnScalar: Double) {
        (defaultPattern(layers: layers), RoPEConfig(theta: 10000), Double(layers == 62 ? hiddenSize / heads : headDim))
    }
}
