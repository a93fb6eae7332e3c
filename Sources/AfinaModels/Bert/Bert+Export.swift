// Writing a BERT model as a Hugging Face directory that transformers (and, for an embedding
// model, sentence-transformers) loads: config.json naming the head's class (with the label
// names of a classifier), model.safetensors (float32, HF names), and the base directory's
// tokenizer and sentence-transformers files.
import AfinaTensor
import AfinaTokenizers
import Foundation

extension BertConfig {
    /// config.json contents for `architecture` (BertModel, BertForSequenceClassification, BertForMaskedLM).
    func huggingFaceJSON(architecture: String) -> [String: Any] {
        var json: [String: Any] = [
            "architectures": [architecture], "model_type": "bert", "vocab_size": vocabularySize,
            "hidden_size": hiddenSize, "intermediate_size": intermediateSize, "num_hidden_layers": layerCount,
            "num_attention_heads": headCount, "max_position_embeddings": maxPositions, "type_vocab_size": typeVocabularySize,
            "layer_norm_eps": Double(layerNormEps), "hidden_act": activation == .none ? "gelu" : "gelu_new",
            "position_embedding_type": "absolute", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
            "pad_token_id": 0, "torch_dtype": "float32",
        ]
        if !labels.isEmpty {
            json["id2label"] = Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0), $1) })
            json["label2id"] = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        }
        return json
    }
}

extension TrainableEncoder {
    /// Writes config.json, model.safetensors and the files of `source` (a Hugging Face base)
    /// that are not weights: tokenizer, vocabulary, sentence-transformers pooling.
    func writeHuggingFace(config: [String: Any], to directory: URL, source: URL?) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: directory.appendingPathComponent("config.json"), options: .atomic)
        try TensorFiles.write(parameters(.all).map { ($0.name, $0.value) }, backend: backend, metadata: ["format": "pt"],
                              to: directory.appendingPathComponent("model.safetensors"))
        guard let source else { return }
        try HuggingFaceFiles.copy(["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                                   "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
                                   "1_Pooling/config.json"], from: source, to: directory)
    }
}

extension BertForSequenceClassification {
    /// A directory BertForSequenceClassification.from_pretrained loads, with the label names.
    public func writeHuggingFace(to directory: URL, source: URL?) throws {
        var config = bert.config
        config.labels = labels
        try writeHuggingFace(config: config.huggingFaceJSON(architecture: "BertForSequenceClassification"),
                             to: directory, source: source)
    }
}

extension BertForMaskedLM {
    /// A directory BertForMaskedLM.from_pretrained loads.
    public func writeHuggingFace(to directory: URL, source: URL?) throws {
        var json = bert.config.huggingFaceJSON(architecture: "BertForMaskedLM")
        json["tie_word_embeddings"] = decoder === bert.wordEmbeddings
        try writeHuggingFace(config: json, to: directory, source: source)
    }
}

extension Bert: ExportableModel {
    public var hasAdapters: Bool { layers.contains { layer in linears(layer).contains { layer[keyPath: $0.path].lora != nil } } }

    /// Folds this encoder's adapters into `copy`'s float32 weights (a copy made without them):
    /// W + scale · B A.
    func foldAdapters(into copy: Bert) throws {
        guard let b = backend as? any TrainingBackend else { throw ModelError.invalidArgument("\(backend.name) cannot merge") }
        for (i, layer) in layers.enumerated() {
            for (_, path) in linears(layer) { layer[keyPath: path].foldAdapter(into: copy.layers[i][keyPath: path].weight, b) }
        }
    }

    public func merged() throws -> Bert {
        let copy = try floatCopy()
        try foldAdapters(into: copy)
        return copy
    }

    /// A directory BertModel (and, with the base's pooling files, SentenceTransformer) loads.
    public func writeHuggingFace(to directory: URL, tokenizer: Tokenizer, tokenizerDirectory: URL?, tokenizerFrom: String?) throws {
        try writeHuggingFace(config: config.huggingFaceJSON(architecture: "BertModel"), to: directory, source: tokenizerDirectory)
    }
}

/// The BERT task models as exportable: Hugging Face directories (GGUF export is for decoders).
extension ExportableModel where Self: TrainableEncoder {
    public var parameterCount: Int { parameters(.all).map(\.value.count).reduce(0, +) }

    public func writeGGUF(to url: URL, type: DType, tokenizer: GGUFTokenizerMetadata, chatTemplate: String?,
                          name: String) throws {
        throw ModelError.invalidArgument("encoders are exported as Hugging Face directories (--to hf); GGUF is for decoders")
    }
}

/// A task model over a BERT encoder (classifier, masked LM): exported the same way.
protocol BertTaskModel: TrainableEncoder {
    var bert: Bert { get }
    func floatCopy() throws -> Self
    /// Writes the directory, copying the non-weight files of `source`.
    func writeHuggingFace(to directory: URL, source: URL?) throws
}

extension BertTaskModel {
    public var hasAdapters: Bool { bert.hasAdapters }

    public func merged() throws -> Self {
        let copy = try floatCopy()
        try bert.foldAdapters(into: copy.bert)
        return copy
    }

    public func writeHuggingFace(to directory: URL, tokenizer: Tokenizer, tokenizerDirectory: URL?, tokenizerFrom: String?) throws {
        try writeHuggingFace(to: directory, source: tokenizerDirectory)
    }
}

extension BertForSequenceClassification: BertTaskModel, ExportableModel {}
extension BertForMaskedLM: BertTaskModel, ExportableModel {}
