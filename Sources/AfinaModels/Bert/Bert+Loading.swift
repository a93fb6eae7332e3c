// Building a BERT model from a Hugging Face directory: the head follows the weights present
// (classifier -> sequence classification, cls.predictions -> masked LM, neither -> BertModel).
import AfinaFormats
import AfinaTensor

extension Bert: Architecture {
    public static func load(huggingFace json: [String: Any], weights: WeightTable,
                            backend: any Backend) throws -> any LanguageModel {
        let config = try BertConfig(huggingFace: json)
        if weights.tensors["classifier.weight"] != nil {
            return try BertForSequenceClassification(config: config, weights: weights, backend: backend)
        }
        if weights.tensors["cls.predictions.transform.dense.weight"] != nil {
            return try BertForMaskedLM(config: config, weights: weights, tied: json["tie_word_embeddings"] as? Bool ?? true,
                                       backend: backend)
        }
        return try Bert(config: config, weights: weights, backend: backend)
    }

    public static func load(gguf file: GGUFFile, backend: any Backend) throws -> any LanguageModel {
        throw ModelError.invalidArgument("\(file.url.lastPathComponent): BERT models load from Hugging Face directories, not GGUF")
    }
}
