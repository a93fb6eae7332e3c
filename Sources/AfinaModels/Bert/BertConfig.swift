// Configuration of the BERT family (BERT, MiniLM and other BertModel checkpoints): plain data
// decoded from a Hugging Face config.json, validated on creation.
import AfinaTensor
import Foundation

public struct BertConfig: Sendable, Equatable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEps: Float
    /// `hidden_act`: "gelu" (erf) or the tanh forms "gelu_new" / "gelu_pytorch_tanh".
    public var activation: GELUApproximation
    /// Label names by class index, from `id2label` (classification checkpoints).
    public var labels: [String]

    public var headDim: Int { hiddenSize / headCount }
}

extension BertConfig {
    public init(huggingFace json: [String: Any]) throws {
        func int(_ key: String) throws -> Int {
            guard let v = json[key] as? NSNumber else { throw ModelError.invalidConfig("missing integer '\(key)'") }
            return v.intValue
        }
        vocabularySize = try int("vocab_size")
        hiddenSize = try int("hidden_size")
        intermediateSize = try int("intermediate_size")
        layerCount = try int("num_hidden_layers")
        headCount = try int("num_attention_heads")
        maxPositions = try int("max_position_embeddings")
        typeVocabularySize = (json["type_vocab_size"] as? NSNumber)?.intValue ?? 2
        layerNormEps = (json["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12
        let act = json["hidden_act"] as? String ?? "gelu"
        switch act {
        case "gelu": activation = .none
        case "gelu_new", "gelu_pytorch_tanh": activation = .tanh
        default: throw ModelError.invalidConfig("hidden_act '\(act)' is not supported (gelu, gelu_new, gelu_pytorch_tanh)")
        }
        if let kind = json["position_embedding_type"] as? String, kind != "absolute" {
            throw ModelError.invalidConfig("position_embedding_type '\(kind)' is not supported (absolute)")
        }
        labels = try Self.labels(json["id2label"])
        for (key, value) in [("vocab_size", vocabularySize), ("hidden_size", hiddenSize),
                             ("intermediate_size", intermediateSize), ("num_hidden_layers", layerCount),
                             ("num_attention_heads", headCount), ("max_position_embeddings", maxPositions),
                             ("type_vocab_size", typeVocabularySize)] where value <= 0 {
            throw ModelError.invalidConfig("\(key) must be positive, got \(value)")
        }
        guard hiddenSize % headCount == 0 else {
            throw ModelError.invalidConfig("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        }
    }

    /// `id2label` ({"0": "negative", "1": "positive"}) as names in index order.
    static func labels(_ value: Any?) throws -> [String] {
        guard let map = value as? [String: Any] else { return [] }
        var labels = [String?](repeating: nil, count: map.count)
        for (key, name) in map {
            guard let i = Int(key), labels.indices.contains(i), let name = name as? String else {
                throw ModelError.invalidConfig("id2label must map 0..<\(map.count) to names, got '\(key)'")
            }
            labels[i] = name
        }
        let names = labels.compactMap { $0 }
        guard names.count == map.count else { throw ModelError.invalidConfig("id2label repeats an index") }
        return names
    }
}
