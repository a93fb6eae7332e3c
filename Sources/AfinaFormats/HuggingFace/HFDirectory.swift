// A Hugging Face model directory as transformers' save_pretrained writes it: config.json,
// tokenizer files, and weights in model.safetensors or in shards listed by
// model.safetensors.index.json ({"weight_map": {tensor name: shard file}}).
import Foundation

/// A Hugging Face model directory, with one tensor lookup over all its weight files.
public final class HFDirectory: Sendable {
    /// The directory, as opened.
    public let url: URL
    /// `config.json` (always present).
    public let configURL: URL
    /// `tokenizer.json`, if present.
    public let tokenizerURL: URL?
    /// `tokenizer_config.json`, if present.
    public let tokenizerConfigURL: URL?
    /// `generation_config.json`, if present.
    public let generationConfigURL: URL?
    /// Every tensor name across the weight files, sorted.
    public let tensorNames: [String]
    /// The weight file holding each tensor.
    private let files: [String: SafetensorsFile]

    /// Opens and validates the directory: config.json and the weights must be present, every
    /// shard the index names must exist and hold the tensors the index puts in it.
    public init(url: URL) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FormatError(url, "not a directory", hint: "pass a Hugging Face model directory or a .gguf file")
        }
        func optional(_ name: String) -> URL? {
            let file = url.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: file.path) ? file : nil
        }
        guard let config = optional("config.json") else {
            throw FormatError(url, "no config.json in the model directory",
                              hint: "download the whole repository, not only the weights")
        }
        configURL = config
        tokenizerURL = optional("tokenizer.json")
        tokenizerConfigURL = optional("tokenizer_config.json")
        generationConfigURL = optional("generation_config.json")

        if let single = optional("model.safetensors") {
            let file = try SafetensorsFile(url: single)
            files = Dictionary(uniqueKeysWithValues: file.tensorNames.map { ($0, file) })
        } else if let index = optional("model.safetensors.index.json") {
            files = try Self.shards(index: index, directory: url)
        } else {
            let others = (try? FileManager.default.contentsOfDirectory(atPath: url.path))?
                .filter { $0.hasSuffix(".safetensors") }.sorted() ?? []
            throw FormatError(url, "no model.safetensors or model.safetensors.index.json in the model directory"
                + (others.isEmpty ? "" : " (found \(others.joined(separator: ", ")))"),
                hint: "Afina reads weights as transformers' save_pretrained writes them")
        }
        tensorNames = files.keys.sorted()
    }

    /// The tensor `name`, from whichever weight file holds it.
    public func tensor(named name: String) throws -> SafetensorsTensor {
        guard let file = files[name] else { throw FormatError(url, "no tensor named '\(name)' in the model's weights") }
        return try file.tensor(named: name)
    }

    /// config.json as a JSON object.
    public func config() throws -> [String: Any] { try Self.jsonObject(configURL) }

    /// tokenizer_config.json as a JSON object, or nil when the directory has none.
    public func tokenizerConfig() throws -> [String: Any]? { try tokenizerConfigURL.map(Self.jsonObject) }

    /// generation_config.json as a JSON object, or nil when the directory has none.
    public func generationConfig() throws -> [String: Any]? { try generationConfigURL.map(Self.jsonObject) }

    /// The model's Jinja chat template: chat_template.jinja (transformers 4.43 and later), else
    /// tokenizer_config.json's "chat_template" (a string, or a list of named templates of
    /// which "default" is taken); nil when the model has none.
    public func chatTemplate() throws -> String? {
        let jinja = url.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinja.path) {
            do { return try String(contentsOf: jinja, encoding: .utf8) } catch {
                throw FormatError(jinja, "cannot read as UTF-8 text (\(error.localizedDescription))")
            }
        }
        switch try tokenizerConfig()?["chat_template"] {
        case let template as String:
            return template
        case let named as [[String: Any]]:
            let chosen = named.first { $0["name"] as? String == "default" } ?? named.first
            return chosen?["template"] as? String
        default:
            return nil
        }
    }

    /// Opens every shard named in the index and checks it holds the tensors mapped to it.
    private static func shards(index: URL, directory: URL) throws -> [String: SafetensorsFile] {
        guard let weightMap = try jsonObject(index)["weight_map"] as? [String: String] else {
            throw FormatError(index, "no \"weight_map\" object mapping tensor names to shard files")
        }
        var opened: [String: SafetensorsFile] = [:]
        var files: [String: SafetensorsFile] = [:]
        for (name, shard) in weightMap.sorted(by: { $0.key < $1.key }) {
            if opened[shard] == nil {
                let shardURL = directory.appendingPathComponent(shard)
                guard FileManager.default.fileExists(atPath: shardURL.path) else {
                    throw FormatError(index, "names shard '\(shard)' (for tensor '\(name)'), which is missing",
                                      hint: "download every shard the index lists")
                }
                opened[shard] = try SafetensorsFile(url: shardURL)
            }
            guard let file = opened[shard], file.contains(name) else {
                throw FormatError(index, "puts tensor '\(name)' in shard '\(shard)', which does not hold it")
            }
            files[name] = file
        }
        return files
    }

    private static func jsonObject(_ url: URL) throws -> [String: Any] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        } catch {
            throw FormatError(url, "cannot read as JSON (\(error.localizedDescription))")
        }
        guard let dictionary = object as? [String: Any] else { throw FormatError(url, "is not a JSON object") }
        return dictionary
    }
}
