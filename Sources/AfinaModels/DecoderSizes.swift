// What every decoder configuration has under the same names (LlamaConfig, Gemma3Config), and
// what follows from it alone: the checks on those sizes and the dimensions training plans by.

protocol DecoderSizes {
    var vocabularySize: Int { get }
    var hiddenSize: Int { get }
    var intermediateSize: Int { get }
    var layerCount: Int { get }
    var headCount: Int { get }
    var kvHeadCount: Int { get }
    var headDim: Int { get }
    var contextLength: Int { get }
    var rmsNormEps: Float { get }
}

extension DecoderSizes {
    /// Throws, naming the config.json key, unless every size (and `others`) is positive, the
    /// query heads come in whole groups per key/value head, head_dim is even (RoPE) and
    /// rms_norm_eps is positive.
    func checkSizes(_ others: [(key: String, value: Int)] = []) throws {
        let sizes = [("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                     ("num_hidden_layers", layerCount), ("num_attention_heads", headCount),
                     ("num_key_value_heads", kvHeadCount), ("head_dim", headDim),
                     ("max_position_embeddings", contextLength)] + others
        for (key, value) in sizes where value <= 0 {
            throw ModelError.invalidConfig("\(key) must be positive, got \(value)")
        }
        guard headCount % kvHeadCount == 0 else {
            throw ModelError.invalidConfig(
                "num_attention_heads (\(headCount)) must be a multiple of num_key_value_heads (\(kvHeadCount))")
        }
        guard headDim % 2 == 0 else { throw ModelError.invalidConfig("head_dim must be even for rotary embeddings, got \(headDim)") }
        guard rmsNormEps > 0 else { throw ModelError.invalidConfig("rms_norm_eps must be positive") }
    }

    var dimensions: ModelDimensions {
        ModelDimensions(layerCount: layerCount, hiddenSize: hiddenSize, headCount: headCount, kvHeadCount: kvHeadCount,
                        headDim: headDim, intermediateSize: intermediateSize, vocabularySize: vocabularySize)
    }
}
