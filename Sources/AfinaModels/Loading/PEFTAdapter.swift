// LoRA adapters in peft's layout, so Hugging Face tools load what Afina trains:
// adapter_config.json + adapter_model.safetensors with tensors named
// `base_model.model.<module>.lora_A.weight` / `.lora_B.weight` (A [r, in], B [out, r]).
import AfinaFormats
import AfinaTensor
import Foundation

public enum PEFTAdapter {
    static let prefix = "base_model.model."

    /// Writes the adapters of `parameters` (named `<module>.lora_A.weight`) into `directory`.
    public static func write(_ parameters: [Parameter], settings: LoRAConfiguration, baseModel: String,
                             backend: any Backend, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": settings.rank, "lora_alpha": settings.alpha,
            "lora_dropout": settings.dropout, "target_modules": settings.targets.sorted(),
            "use_rslora": settings.rsLoRA, "bias": "none", "base_model_name_or_path": baseModel,
            "fan_in_fan_out": false, "inference_mode": true, "init_lora_weights": true, "use_dora": false,
            "modules_to_save": NSNull(), "revision": NSNull(),
        ]
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: directory.appendingPathComponent("adapter_config.json"), options: .atomic)
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
