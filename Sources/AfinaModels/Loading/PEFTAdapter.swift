// LoRA adapters in peft's layout, so Hugging Face tools load what Afina trains:
// adapter_config.json + adapter_model.safetensors with tensors named
// `base_model.model.<module>.lora_A.weight` / `.lora_B.weight` (A [r, in], B [out, r]).
// A classifier's new head trains in full and is saved beside the adapters as peft's
// modules_to_save (`base_model.model.classifier.weight`); its label names, which peft does not
// keep, go into afina.json.
import AfinaFormats
import AfinaTensor
import Foundation

public enum PEFTAdapter {
    static let prefix = "base_model.model."

    /// Writes the adapters of `parameters` (named `<module>.lora_A.weight`) into `directory`;
    /// with `labels`, a sequence classifier's adapter whose head (`classifier.*` parameters)
    /// is saved in full.
    public static func write(_ parameters: [Parameter], settings: LoRAConfiguration, baseModel: String,
                             labels: [String]? = nil, backend: any Backend, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": labels == nil ? "CAUSAL_LM" : "SEQ_CLS", "r": settings.rank,
            "lora_alpha": settings.alpha,
            "lora_dropout": settings.dropout, "target_modules": settings.targets.sorted(),
            "use_rslora": settings.rsLoRA, "bias": "none", "base_model_name_or_path": baseModel,
            "fan_in_fan_out": false, "inference_mode": true, "init_lora_weights": true, "use_dora": false,
            "modules_to_save": labels == nil ? NSNull() : ["classifier"], "revision": NSNull(),
        ]
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: directory.appendingPathComponent("adapter_config.json"), options: .atomic)
        if let labels {
            let id2label = Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0), $1) })
            try JSONSerialization.data(withJSONObject: ["id2label": id2label], options: [.prettyPrinted, .sortedKeys])
                .write(to: directory.appendingPathComponent("afina.json"), options: .atomic)
        }
        try TensorFiles.write(parameters.map { (prefix + $0.name, $0.value) }, backend: backend,
                              to: directory.appendingPathComponent("adapter_model.safetensors"))
    }

    /// The base model an adapter directory names, when `path` is one (adapter_config.json
    /// present, config.json absent).
    public static func baseModel(ofDirectory path: String) -> String? {
        let fm = FileManager.default
        let config = URL(fileURLWithPath: path).appendingPathComponent("adapter_config.json")
        guard fm.fileExists(atPath: config.path), !fm.fileExists(atPath: path + "/config.json"),
              let data = try? Data(contentsOf: config),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return json["base_model_name_or_path"] as? String
    }

    /// The label names of a classifier's adapter directory (afina.json's id2label, or peft's
    /// LABEL_i for each saved class), nil for an adapter without a classification head.
    public static func labels(ofDirectory directory: URL, weights: [String: Tensor]) throws -> [String]? {
        guard let head = weights["classifier.weight"] else { return nil }
        let url = directory.appendingPathComponent("afina.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return (0..<head.rows).map { "LABEL_\($0)" } }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.invalidArgument("\(url.path): not a JSON object")
        }
        let labels = try BertConfig.labels(json["id2label"])
        guard labels.count == head.rows else {
            throw ModelError.invalidArgument("\(url.path): \(labels.count) labels for a head of \(head.rows) classes")
        }
        return labels
    }

    /// Reads an adapter directory: its settings and tensors named as the model names them.
    public static func read(_ directory: URL, backend: any Backend) throws -> (LoRAConfiguration, [String: Tensor]) {
        let configURL = directory.appendingPathComponent("adapter_config.json")
        guard let data = try? Data(contentsOf: configURL),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.invalidArgument("\(configURL.path): missing or not a JSON object")
        }
        guard (json["peft_type"] as? String) == "LORA", let rank = json["r"] as? Int,
              let alpha = (json["lora_alpha"] as? NSNumber)?.doubleValue else {
            throw ModelError.invalidArgument("\(configURL.path): not a LoRA adapter (needs peft_type LORA, r, lora_alpha)")
        }
        let targets: [String]
        if let list = json["target_modules"] as? [String] { targets = list }
        else if let one = json["target_modules"] as? String { targets = [one] }
        else { throw ModelError.invalidArgument("\(configURL.path): target_modules must be a list of module names") }
        let settings = LoRAConfiguration(rank: rank, alpha: alpha, dropout: (json["lora_dropout"] as? Double) ?? 0,
                                         targets: targets, rsLoRA: (json["use_rslora"] as? Bool) ?? false)
        var tensors: [String: Tensor] = [:]
        for (name, t) in try TensorFiles.read(directory.appendingPathComponent("adapter_model.safetensors"), backend: backend) {
            let local = name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
            tensors[local] = backend.tensor(t.values, shape: t.shape)
        }
        return (settings, tensors)
    }
}
