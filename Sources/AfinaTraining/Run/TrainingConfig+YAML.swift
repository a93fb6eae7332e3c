// TrainingConfig from YAML text plus `key=value` overrides, and back to YAML with every
// default written out (saved in the run folder so a run can be repeated exactly).
import Foundation
import Yams

extension TrainingConfig {
    /// Decodes `yaml`, applies `overrides` (`lora.rank=16`, `lora.targets=[q_proj,v_proj]`,
    /// `data.validation=null` to clear a value) in order, fills defaults and validates.
    /// `source` names the text in syntax errors (the file path).
    public init(yaml: String, overrides: [String] = [], source: String = "config") throws {
        var root: Node
        do {
            root = try Yams.compose(yaml: yaml) ?? Node([(Node, Node)]())
        } catch {
            throw TrainingConfigError.syntax(source: source, message: "\(error)")
        }
        for override in overrides {
            let (path, value) = try Self.parseOverride(override)
            root = root.setting(path[...], to: value)
        }
        try self.init(root: root)
        try validate()
    }

    /// Reads the YAML file at `path`, then as `init(yaml:overrides:)`.
    public init(contentsOfFile path: String, overrides: [String] = []) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TrainingConfigError.unreadable(path: path, message: error.localizedDescription)
        }
        try self.init(yaml: text, overrides: overrides, source: path)
    }

    private init(root: Node) throws {
        var top = try ConfigSection(root)
        guard let model = try top.string("model") else { throw TrainingConfigError.missingKey("model") }
        self.model = model
        method = try top.choice("method", default: .lora)
        task = try top.choice("task", default: .causalLM)

        var data = try top.section("data")
        guard let train = try data.string("train") else { throw TrainingConfigError.missingKey("data.train") }
        let validation = try data.string("validation")
        let validationFraction = try data.double("validation_fraction")
        let maxLength = try data.int("max_length", default: 512)
        let chatTemplate = try data.bool("chat_template", default: true)
        let eos = try data.bool("eos", default: true)
        try data.rejectUnknownKeys()

        var lora = try top.section("lora")
        self.lora = LoRA(rank: try lora.int("rank", default: 8), alpha: try lora.double("alpha", default: 16),
                         dropout: try lora.double("dropout", default: 0),
                         targets: try lora.strings("targets") ?? (task.isEncoderTask ? ["query", "value"] : []),
                         rsLoRA: try lora.bool("rslora", default: false))
        try lora.rejectUnknownKeys()

        switch try (top.int("max_steps"), top.int("epochs")) {
        case let (steps?, nil): duration = .steps(steps)
        case let (nil, epochs?): duration = .epochs(epochs)
        case (.some, .some):
            throw TrainingConfigError.invalidValue(
                key: "max_steps", reason: "give max_steps or epochs, not both (override one with null to clear it)")
        case (nil, nil): throw TrainingConfigError.missingKey("max_steps or epochs")
        }
        batchSize = try top.int("batch_size", default: 4)
        gradAccum = try top.int("grad_accum", default: 1)
        learningRate = try top.double("learning_rate", default: 2e-4)
        lrSchedule = try top.choice("lr_schedule", default: .cosine)
        warmupSteps = try top.int("warmup_steps", default: 0)
        weightDecay = try top.double("weight_decay", default: 0)
        optimizer = try top.choice("optimizer", default: .adamw)
        adamBeta1 = try top.double("adam_beta1", default: 0.9)
        adamBeta2 = try top.double("adam_beta2", default: 0.999)
        adamEpsilon = try top.double("adam_epsilon", default: 1e-8)
        momentum = try top.double("momentum", default: 0.9)
        maxGradNorm = try top.double("max_grad_norm", default: 1.0)
        seed = try top.uint64("seed", default: 0)
        guard let outputDir = try top.string("output_dir") else { throw TrainingConfigError.missingKey("output_dir") }
        self.outputDir = outputDir
        evalEvery = try top.int("eval_every", default: 0)
        saveEvery = try top.int("save_every", default: 0)
        logEvery = try top.int("log_every", default: 1)
        earlyStoppingPatience = try top.int("early_stopping_patience", default: 0)
        checkpointing = try top.bool("checkpointing", default: false)
        backend = try top.choice("backend", default: .cpu)
        precision = try top.choice("precision", default: .fp32)
        var distill = try top.section("distill")
        self.distill = Distill(teacher: try distill.string("teacher"), cache: try distill.string("cache"),
                               alpha: try distill.double("alpha", default: 0.5),
                               temperature: try distill.double("temperature", default: 1),
                               divergence: try distill.choice("divergence", default: .forwardKL),
                               beta: try distill.double("beta", default: 0.5),
                               onPolicy: try distill.double("on_policy", default: 0),
                               maxNewTokens: try distill.int("max_new_tokens", default: 64))
        try distill.rejectUnknownKeys()
        try top.rejectUnknownKeys()

        // Hold out part of the training set only when something will evaluate it.
        let defaultFraction = validation == nil && evalEvery > 0 ? 0.05 : 0
        self.data = Data(train: train, validation: validation,
                         validationFraction: validationFraction ?? defaultFraction, maxLength: maxLength,
                         chatTemplate: chatTemplate, eos: eos)
    }

    /// `a.b=value` as a key path and a YAML value (scalar or flow list); text that is not
    /// valid YAML on its own (`*run`) is taken as a plain string.
    static func parseOverride(_ text: String) throws -> ([String], Node) {
        guard let equals = text.firstIndex(of: "=") else { throw TrainingConfigError.badOverride(text) }
        let path = text[..<equals].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard path.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else {
            throw TrainingConfigError.badOverride(text)
        }
        let raw = String(text[text.index(after: equals)...])
        let value = (try? Yams.compose(yaml: raw)).flatMap { $0 } ?? Node(raw, .implicit, raw.isEmpty ? .plain : .any)
        return (path, value)
    }

    /// The whole config as YAML, defaults included, in the order of the documentation.
    /// Decoding it gives back an equal config.
    public func resolvedYAML() -> String {
        var lines = ["# Resolved by afina train: every key, defaults filled in."]
        func add(_ key: String, _ value: String, indent: Bool = false) {
            lines.append((indent ? "  " : "") + "\(key): \(value)")
        }
        add("model", yamlQuoted(model))
        add("method", method.rawValue)
        add("task", task.rawValue)
        lines.append("data:")
        add("train", yamlQuoted(data.train), indent: true)
        add("validation", data.validation.map(yamlQuoted) ?? "null", indent: true)
        add("validation_fraction", "\(data.validationFraction)", indent: true)
        add("max_length", "\(data.maxLength)", indent: true)
        add("chat_template", "\(data.chatTemplate)", indent: true)
        add("eos", "\(data.eos)", indent: true)
        lines.append("lora:")
        add("rank", "\(lora.rank)", indent: true)
        add("alpha", "\(lora.alpha)", indent: true)
        add("dropout", "\(lora.dropout)", indent: true)
        add("targets", "[" + lora.targets.map(yamlQuoted).joined(separator: ", ") + "]", indent: true)
        add("rslora", "\(lora.rsLoRA)", indent: true)
        switch duration {
        case .steps(let n): add("max_steps", "\(n)")
        case .epochs(let n): add("epochs", "\(n)")
        }
        add("batch_size", "\(batchSize)")
        add("grad_accum", "\(gradAccum)")
        add("learning_rate", "\(learningRate)")
        add("lr_schedule", lrSchedule.rawValue)
        add("warmup_steps", "\(warmupSteps)")
        add("weight_decay", "\(weightDecay)")
        add("optimizer", optimizer.rawValue)
        add("adam_beta1", "\(adamBeta1)")
        add("adam_beta2", "\(adamBeta2)")
        add("adam_epsilon", "\(adamEpsilon)")
        add("momentum", "\(momentum)")
        add("max_grad_norm", "\(maxGradNorm)")
        add("seed", "\(seed)")
        add("output_dir", yamlQuoted(outputDir))
        add("eval_every", "\(evalEvery)")
        add("save_every", "\(saveEvery)")
        add("log_every", "\(logEvery)")
        add("early_stopping_patience", "\(earlyStoppingPatience)")
        add("checkpointing", "\(checkpointing)")
        add("backend", backend.rawValue)
        add("precision", precision.rawValue)
        lines.append("distill:")
        add("teacher", distill.teacher.map(yamlQuoted) ?? "null", indent: true)
        add("cache", distill.cache.map(yamlQuoted) ?? "null", indent: true)
        add("alpha", "\(distill.alpha)", indent: true)
        add("temperature", "\(distill.temperature)", indent: true)
        add("divergence", distill.divergence.rawValue, indent: true)
        add("beta", "\(distill.beta)", indent: true)
        add("on_policy", "\(distill.onPolicy)", indent: true)
        add("max_new_tokens", "\(distill.maxNewTokens)", indent: true)
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A YAML double-quoted scalar: always read back as exactly this string.
func yamlQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                + String(scalar.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

extension Node {
    /// This node with the value at `path` replaced (intermediate mappings created as needed).
    func setting(_ path: ArraySlice<String>, to value: Node) -> Node {
        guard let key = path.first else { return value }
        var pairs = mapping.map { Array($0) } ?? []
        if let i = pairs.firstIndex(where: { $0.key.scalar?.string == key }) {
            pairs[i].value = pairs[i].value.setting(path.dropFirst(), to: value)
        } else {
            pairs.append((key: Node(key), value: Node([(Node, Node)]()).setting(path.dropFirst(), to: value)))
        }
        return Node(pairs.map { ($0.key, $0.value) })
    }
}
