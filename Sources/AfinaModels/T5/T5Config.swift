// Configuration of T5 encoder-decoders (T5, T5 v1.1, Flan-T5): plain data decoded from a
// Hugging Face config.json, validated on creation.
import AfinaTensor
import Foundation

public struct T5Config: Sendable, Equatable {
    /// The MLP's activation: ReLU (T5) or GELU (v1.1 and Flan-T5 use the tanh form, gelu_new).
    public enum Activation: Sendable, Equatable {
        case relu
        case gelu(GELUApproximation)
    }

    public var vocabularySize: Int
    public var hiddenSize: Int              // d_model
    public var headDim: Int                 // d_kv
    public var intermediateSize: Int        // d_ff
    public var encoderLayerCount: Int
    public var decoderLayerCount: Int
    public var headCount: Int
    public var buckets: Int                 // relative_attention_num_buckets
    public var maxDistance: Int             // relative_attention_max_distance
    public var layerNormEps: Float
    public var activation: Activation
    /// `gated-gelu`: act(wi_0 x) * wi_1 x instead of act(wi x).
    public var gated: Bool
    /// `feed_forward_proj` as written ("relu", "gated-gelu"), for export.
    public var feedForwardProj: String
    /// `dropout_rate`, kept for export (Afina trains T5 without dropout).
    public var dropoutRate: Double
    /// The head is the shared embedding (else `lm_head.weight`).
    public var tiedHead: Bool
    /// Decoder states are scaled by d_model^-1/2 before the head (T5, not v1.1 or Flan-T5).
    public var scalesDecoderOutput: Bool
    public var decoderStartToken: Int32
    public var eosToken: Int32
    /// The longest input or output sequence (`n_positions`, what the model was trained on;
    /// relative positions would reach further, but past it outputs are untested).
    public var maxPositions: Int

    /// Width of the attention projections, which may differ from d_model.
    public var innerSize: Int { headCount * headDim }
}

extension T5Config {
    public init(huggingFace json: [String: Any]) throws {
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            guard let v = (json[key] as? NSNumber)?.intValue ?? value else {
                throw ModelError.invalidConfig("missing integer '\(key)'")
            }
            guard v > 0 || key.hasSuffix("token_id") && v == 0 else { throw ModelError.invalidConfig("\(key) must be positive, got \(v)") }
            return v
        }
        vocabularySize = try int("vocab_size")
        hiddenSize = try int("d_model")
        headDim = try int("d_kv")
        intermediateSize = try int("d_ff")
        encoderLayerCount = try int("num_layers")
        decoderLayerCount = try int("num_decoder_layers", default: encoderLayerCount)
        headCount = try int("num_heads")
        buckets = try int("relative_attention_num_buckets", default: 32)
        maxDistance = try int("relative_attention_max_distance", default: 128)
        layerNormEps = (json["layer_norm_epsilon"] as? NSNumber)?.floatValue ?? 1e-6
        maxPositions = try int("n_positions", default: 512)
        let proj = json["feed_forward_proj"] as? String ?? "relu"
        feedForwardProj = proj
        dropoutRate = (json["dropout_rate"] as? NSNumber)?.doubleValue ?? 0.1
        gated = proj.hasPrefix("gated-")
        switch gated ? String(proj.dropFirst(6)) : proj {
        case "relu": activation = .relu
        // transformers reads "gated-gelu" as gelu_new, the tanh form.
        case "gelu" where gated, "gelu_new", "gelu_pytorch_tanh": activation = .gelu(.tanh)
        case "gelu": activation = .gelu(.none)
        default:
            throw ModelError.invalidConfig("feed_forward_proj '\(proj)' is not supported (relu, gated-gelu, gelu_new, gated-relu)")
        }
        // transformers 5 writes tie_word_embeddings true with scale_decoder_outputs false for
        // v1.1; published files say tie_word_embeddings false and carry lm_head.weight.
        let tied = json["tie_word_embeddings"] as? Bool ?? true
        tiedHead = tied
        scalesDecoderOutput = json["scale_decoder_outputs"] as? Bool ?? tied
        eosToken = Int32(try int("eos_token_id", default: 1))
        decoderStartToken = Int32(try int("decoder_start_token_id", default: try int("pad_token_id", default: 0)))
        guard buckets >= 4 else { throw ModelError.invalidConfig("relative_attention_num_buckets must be at least 4, got \(buckets)") }
        guard eosToken < vocabularySize, decoderStartToken < vocabularySize else {
            throw ModelError.invalidConfig("eos_token_id \(eosToken) or decoder_start_token_id \(decoderStartToken) is outside vocab_size \(vocabularySize)")
        }
    }
}

extension T5Config {
    /// config.json as T5 and Flan-T5 checkpoints write it (transformers 4 and 5 read it);
    /// scale_decoder_outputs only where it differs from what tie_word_embeddings implies.
    public var huggingFaceJSON: [String: Any] {
        var json: [String: Any] = [
            "architectures": ["T5ForConditionalGeneration"], "model_type": "t5", "is_encoder_decoder": true,
            "vocab_size": vocabularySize, "d_model": hiddenSize, "d_kv": headDim, "d_ff": intermediateSize,
            "num_layers": encoderLayerCount, "num_decoder_layers": decoderLayerCount, "num_heads": headCount,
            "relative_attention_num_buckets": buckets, "relative_attention_max_distance": maxDistance,
            "layer_norm_epsilon": Double(layerNormEps), "feed_forward_proj": feedForwardProj, "dropout_rate": dropoutRate,
            "tie_word_embeddings": tiedHead, "decoder_start_token_id": Int(decoderStartToken), "pad_token_id": Int(decoderStartToken),
            "eos_token_id": Int(eosToken), "n_positions": maxPositions, "torch_dtype": "float32",
        ]
        if scalesDecoderOutput != tiedHead { json["scale_decoder_outputs"] = scalesDecoderOutput }
        return json
    }
}
