// Opening a model the way users name it: a pulled catalog name, a .gguf file, or a Hugging
// Face directory (config.json + safetensors + tokenizer.json).
import AfinaFormats
import AfinaHub
import AfinaTensor
import AfinaTokenizers
import Foundation

/// Where a loaded model came from and the text handling it ships with: what an export copies.
public protocol ModelSource {
    var tokenizer: Tokenizer { get }
    var chatTemplate: String? { get }
    var info: ModelInfo { get }
}

/// A network as loaded, before a command asks for a capability of it.
public struct LoadedNetwork: ModelSource, @unchecked Sendable {
    public let network: any LanguageModel
    public let tokenizer: Tokenizer
    /// The model's own Jinja chat template, if it ships one.
    public let chatTemplate: String?
    public let info: ModelInfo

    /// The network as `type`, or an error saying what this model is instead.
    public func require<Capability>(_ type: Capability.Type, _ capability: ModelCapability) throws -> Capability {
        try AfinaModels.require(network, as: type, capability, architecture: info.architecture)
    }
}

/// A causal language model ready to run: network, tokenizer, chat template, and facts about it.
public struct LoadedModel: ModelSource, @unchecked Sendable {
    public let model: any CausalLM
    public let tokenizer: Tokenizer
    /// The model's own Jinja chat template, if it ships one.
    public let chatTemplate: String?
    public let info: ModelInfo

    /// The same tokenizer, template and facts over another network (the float copy a run
    /// trains), so that the loaded weights and their file mapping can be freed.
    public func replacingModel(with model: any CausalLM) -> LoadedModel {
        LoadedModel(model: model, tokenizer: tokenizer, chatTemplate: chatTemplate, info: info)
    }
}

/// What `afina info` prints.
public struct ModelInfo: Sendable {
    public var path: String
    public var format: String
    public var architecture: String
    public var parameterCount: Int
    /// Tensor element types and how many tensors use each.
    public var tensorTypes: [String: Int]
    public var contextLength: Int
    public var vocabularySize: Int
    public var layers: Int
    public var hasChatTemplate: Bool
}

public enum ModelLoader {
    /// The file or directory `spec` names: an existing path, or a pulled catalog model.
    public static func resolve(_ spec: String, store: ModelStore = .standard()) throws -> URL {
        if FileManager.default.fileExists(atPath: spec) { return URL(fileURLWithPath: spec) }
        if let entry = ModelCatalog.entry(named: spec) {
            guard let url = store.pulledFile(entry) else {
                throw ModelError.notFound("model '\(spec)' is not pulled yet: run `afina pull \(spec)`")
            }
            return url
        }
        throw ModelError.notFound("'\(spec)' is neither a file, a directory, nor a known model ("
            + ModelCatalog.entries.map(\.name).joined(separator: ", ") + ")")
    }

    /// Loads `spec` as a causal language model, with the LoRA adapter in peft's layout at
    /// `adapter` applied unmerged. `spec` may itself be an adapter directory: its
    /// base_model_name_or_path is loaded under it.
    public static func load(_ spec: String, adapter: URL? = nil, backend: any Backend = CPUBackend()) throws -> LoadedModel {
        try causalLM(try loadNetwork(spec, adapter: adapter, backend: backend))
    }

    /// A loaded network as a causal language model, or an error saying what it is instead.
    public static func causalLM(_ loaded: LoadedNetwork) throws -> LoadedModel {
        LoadedModel(model: try loaded.require((any CausalLM).self, .causalLM), tokenizer: loaded.tokenizer,
                    chatTemplate: loaded.chatTemplate, info: loaded.info)
    }

    /// Loads `spec` whatever its capabilities (a decoder or an encoder, with its heads); the
    /// caller asks for the one it needs with `require`.
    public static func loadNetwork(_ spec: String, adapter: URL? = nil, backend: any Backend = CPUBackend()) throws -> LoadedNetwork {
        if adapter == nil, let base = PEFTAdapter.baseModel(ofDirectory: spec) {
            return try loadNetwork(base, adapter: URL(fileURLWithPath: spec), backend: backend)
        }
        let url = try resolve(spec)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let loaded = isDirectory.boolValue ? try loadHuggingFace(url, backend: backend) : try loadGGUF(url, backend: backend)
        guard let adapter else { return loaded }
        let (settings, weights) = try PEFTAdapter.read(adapter, backend: backend)
        var network = loaded.network
        // A classifier's adapter carries its new head: a base without one takes one first.
        if !(network is any SequenceClassifier), let labels = try PEFTAdapter.labels(ofDirectory: adapter, weights: weights) {
            network = try loaded.require((any ClassifierBuilding).self, .encoder).addingClassifier(labels: labels, seed: 0)
        }
        switch network {
        case let decoder as any TrainableModel: try decoder.attachAdapters(settings, weights: weights, seed: 0)
        case let encoder as any TrainableEncoder: try encoder.attachAdapters(settings, weights: weights, seed: 0)
        default: throw ModelError.invalidArgument("\(loaded.info.architecture) models cannot take adapters")
        }
        return LoadedNetwork(network: network, tokenizer: loaded.tokenizer, chatTemplate: loaded.chatTemplate,
                             info: loaded.info)
    }

    static func loadGGUF(_ url: URL, backend: any Backend) throws -> LoadedNetwork {
        let file = try GGUFFile(url: url)
        let (model, info) = try network(gguf: file, backend: backend)
        return LoadedNetwork(network: model, tokenizer: try Tokenizer(gguf: file),
                             chatTemplate: try? file.string("tokenizer.chat_template"), info: info)
    }

    static func loadHuggingFace(_ url: URL, backend: any Backend) throws -> LoadedNetwork {
        let directory = try HFDirectory(url: url)
        let (model, info) = try network(huggingFace: directory, backend: backend)
        if let base = tokenizerSource(of: url) {
            // Weights fine-tuned from a GGUF base: the tokenizer is the base's.
            let file = try GGUFFile(url: try resolve(base))
            return LoadedNetwork(network: model, tokenizer: try Tokenizer(gguf: file),
                                 chatTemplate: try? file.string("tokenizer.chat_template"), info: info)
        }
        return LoadedNetwork(network: model, tokenizer: try Tokenizer(directory: url),
                             chatTemplate: try directory.chatTemplate(), info: info)
    }

    /// The GGUF model whose tokenizer a directory without tokenizer.json names in
    /// afina.json (`{"tokenizer_from": SPEC}`), as a decoder's `writeHuggingFace` writes it.
    static func tokenizerSource(of url: URL) -> String? {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: url.appendingPathComponent("tokenizer.json").path),
              let data = try? Data(contentsOf: url.appendingPathComponent("afina.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return json["tokenizer_from"] as? String
    }

    /// The network of a GGUF file (no tokenizer).
    static func network(gguf file: GGUFFile, backend: any Backend) throws -> (any LanguageModel, ModelInfo) {
        let model = try ModelRegistry.architecture(file.architecture).load(gguf: file, backend: backend)
        let info = ModelInfo(
            path: file.url.path, format: "GGUF v\(file.version)", architecture: file.architecture,
            parameterCount: file.tensors.map { $0.shape.reduce(1, *) }.reduce(0, +),
            tensorTypes: Dictionary(file.tensors.map { ($0.dtype.description, 1) }, uniquingKeysWith: +),
            contextLength: model.contextLength, vocabularySize: model.vocabularySize,
            layers: (try? file.int("\(file.architecture).block_count")) ?? 0,
            hasChatTemplate: (try? file.string("tokenizer.chat_template")) != nil)
        return (model, info)
    }

    /// The network of a Hugging Face directory (no tokenizer).
    static func network(huggingFace directory: HFDirectory, backend: any Backend) throws -> (any LanguageModel, ModelInfo) {
        let config = try directory.config()
        let type = config["model_type"] as? String ?? "(missing model_type)"
        var tensors: [String: Tensor] = [:], types: [String: Int] = [:], parameters = 0
        // Older transformers saved BERT's position ids (0..<P, int64) as a buffer: not a weight.
        for name in directory.tensorNames where !name.hasSuffix("embeddings.position_ids") {
            let t = try directory.tensor(named: name)
            types[t.dtype.description, default: 0] += 1
            parameters += t.shape.reduce(1, *)
            tensors[name] = try floatTensor(t, backend: backend)
        }
        let model: any LanguageModel
        do {
            model = try ModelRegistry.architecture(type)
                .load(huggingFace: config, weights: WeightTable(tensors, source: directory.url.path), backend: backend)
        } catch ModelError.invalidConfig(let reason) {
            throw ModelError.invalidConfig("\(directory.url.appendingPathComponent("config.json").path): \(reason)")
        }
        let info = ModelInfo(
            path: directory.url.path, format: "Hugging Face safetensors", architecture: type,
            parameterCount: parameters, tensorTypes: types, contextLength: model.contextLength,
            vocabularySize: model.vocabularySize, layers: (config["num_hidden_layers"] as? Int) ?? (config["num_layers"] as? Int) ?? 0,
            hasChatTemplate: (try? directory.chatTemplate()) != nil)
        return (model, info)
    }

    /// Float32 weights are used in place; f16/bf16 are widened once at load.
    private static func floatTensor(_ t: SafetensorsTensor, backend: any Backend) throws -> Tensor {
        if t.dtype == .f32 { return backend.tensor(bytes: t.bytes, dtype: .f32, shape: t.shape, owner: t.owner) }
        let wide = backend.tensor(bytes: t.bytes, dtype: t.dtype, shape: t.shape, owner: t.owner)
        return backend.tensor(backend.floats(wide), shape: t.shape)
    }
}
