// Configuration of the Llama family (Llama 2/3, SmolLM2, Mistral, Qwen2/2.5): plain data,
// decoded from a Hugging Face config.json or from GGUF metadata, validated on creation.
import Foundation

public struct LlamaConfig: Sendable, Equatable {
    /// "llama", "mistral" or "qwen2".
    public var modelType: String
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var rmsNormEps: Float
    public var rope: RoPEConfig
    public var contextLength: Int
    public var tieWordEmbeddings: Bool
    /// Biases on the q, k and v projections (Qwen2).
    public var attentionBias: Bool

    /// Checks the numbers fit together; throws a message naming the offending key.
    public func validate() throws { try checkSizes() }
}

extension LlamaConfig: DecoderSizes {}

extension LlamaConfig {
    /// Decodes a Hugging Face `config.json` (transformers 4.x `rope_theta`/`rope_scaling` or
    /// 5.x `rope_parameters`).
    public init(huggingFace json: [String: Any]) throws {
        func int(_ key: String) throws -> Int {
            guard let v = json[key] as? NSNumber else { throw ModelError.invalidConfig("missing integer '\(key)'") }
            return v.intValue
        }
        modelType = json["model_type"] as? String ?? "llama"
        vocabularySize = try int("vocab_size")
        hiddenSize = try int("hidden_size")
        intermediateSize = try int("intermediate_size")
        layerCount = try int("num_hidden_layers")
        headCount = try int("num_attention_heads")
        kvHeadCount = (json["num_key_value_heads"] as? NSNumber)?.intValue ?? headCount
        headDim = (json["head_dim"] as? NSNumber)?.intValue ?? hiddenSize / max(headCount, 1)
        rmsNormEps = (json["rms_norm_eps"] as? NSNumber)?.floatValue ?? 1e-6
        contextLength = (json["max_position_embeddings"] as? NSNumber)?.intValue ?? 2048
        tieWordEmbeddings = (json["tie_word_embeddings"] as? Bool) ?? false
        attentionBias = modelType == "qwen2" || (json["attention_bias"] as? Bool ?? false)
        var ropeJSON = json["rope_parameters"] as? [String: Any] ?? json["rope_scaling"] as? [String: Any] ?? [:]
        if ropeJSON["rope_theta"] == nil { ropeJSON["rope_theta"] = json["rope_theta"] ?? 10000.0 }
        rope = try RoPEConfig(huggingFace: ropeJSON)
        try validate()
    }
}

/// Rotary position embedding settings.
public struct RoPEConfig: Sendable, Equatable {
    public enum Scaling: Sendable, Equatable {
        case none
        /// Positions divided by `factor` (HF "linear").
        case linear(factor: Float)
        /// Llama 3.1 frequency-dependent scaling.
        case llama3(factor: Float, lowFreqFactor: Float, highFreqFactor: Float, originalContext: Int)
        /// Per-frequency divisors given explicitly (GGUF `rope_freqs.weight`).
        case divisors([Float])
    }
    public var theta: Double
    public var scaling: Scaling

    public init(theta: Double, scaling: Scaling = .none) {
        self.theta = theta
        self.scaling = scaling
    }

    init(huggingFace json: [String: Any]) throws {
        theta = (json["rope_theta"] as? NSNumber)?.doubleValue ?? 10000
        let type = json["rope_type"] as? String ?? json["type"] as? String ?? "default"
        func float(_ key: String) throws -> Float {
            guard let v = json[key] as? NSNumber else {
                throw ModelError.invalidConfig("rope scaling '\(type)' needs '\(key)'")
            }
            return v.floatValue
        }
        switch type {
        case "default": scaling = .none
        case "linear": scaling = .linear(factor: try float("factor"))
        case "llama3":
            scaling = .llama3(factor: try float("factor"), lowFreqFactor: try float("low_freq_factor"),
                              highFreqFactor: try float("high_freq_factor"),
                              originalContext: Int(try float("original_max_position_embeddings")))
        default:
            throw ModelError.invalidConfig("unsupported rope scaling type '\(type)' (supported: default, linear, llama3)")
        }
    }

    /// Inverse frequencies [headDim/2], as transformers computes them in float32.
    public func inverseFrequencies(headDim: Int) -> [Float] {
        let base = (0..<headDim / 2).map { i in
            Float(1 / pow(theta, Double(Float(2 * i) / Float(headDim))))
        }
        switch scaling {
        case .none: return base
        case .linear(let factor): return base.map { $0 / factor }
        case .divisors(let d): return zip(base, d).map { $0 / $1 }
        case let .llama3(factor, low, high, original):
            let lowWavelength = Float(original) / low, highWavelength = Float(original) / high
            return base.map { f in
                let wavelength = 2 * Float.pi / f
                if wavelength < highWavelength { return f }
                if wavelength > lowWavelength { return f / factor }
                let smooth = (Float(original) / wavelength - low) / (high - low)
                return (1 - smooth) * f / factor + smooth * f
            }
        }
    }
}
