// Adapters and trainable copies of a Llama: attaching LoRA to chosen projections (fresh, as
// peft initialises them, or from saved weights), and a float32 copy for full fine-tuning.
import AfinaTensor

extension Llama {
    public func attachAdapters(_ settings: LoRAConfiguration, weights: [String: Tensor]?, seed: UInt64) throws {
        if let unknown = settings.targets.first(where: { !LoRAConfiguration.allLinearModules.contains($0) }) {
            throw ModelError.invalidArgument("unknown LoRA target '\(unknown)'; choose from "
                + LoRAConfiguration.allLinearModules.joined(separator: ", "))
        }
        guard settings.rank > 0 else { throw ModelError.invalidArgument("LoRA rank must be positive") }
        var random = Xoshiro256(seed: seed)
        var remaining = weights
        for i in layers.indices {
            for (module, path) in layers[i].linears where settings.targets.contains(where: { module.hasSuffix("." + $0) }) {
                layers[i][keyPath: path].lora = try layers[i][keyPath: path].makeAdapter(settings, saved: &remaining,
                                                                                        random: &random, backend: backend)
            }
        }
        if let left = remaining, !left.isEmpty {
            throw ModelError.unexpectedWeights(left.keys.sorted(), source: "adapter")
        }
        // Under adapters the base is frozen.
        for p in parameters(.all) { backend.declareWeight(p.value) }
    }

    /// A copy with every weight float32 in memory of its own, as full fine-tuning needs
    /// (loaded weights may be quantized, or borrowed from a read-only file mapping).
    public func floatCopy() throws -> Llama {
        let b = backend
        let tensors = parameters(.all).map { ($0.name, b.tensor(b.floats($0.value), shape: $0.value.shape)) }
        return try Llama(config: config, weights: WeightTable(Dictionary(uniqueKeysWithValues: tensors),
                                                              source: "float32 copy"), backend: b)
    }
}

// The writers that complete the conformance are in Export/ (HuggingFaceDirectory.swift,
// Llama+GGUF.swift); parameterCount is in Llama+LayerPruning.swift.
extension Llama: ExportableModel {
    public var hasAdapters: Bool { !parameters(.adapters).isEmpty }

    /// A float32 copy with every adapter folded into its base weight: W + scale · B A.
    public func merged() throws -> Llama {
        guard let b = backend as? any TrainingBackend else { throw ModelError.invalidArgument("\(backend.name) cannot merge") }
        let copy = try floatCopy()
        for (i, layer) in layers.enumerated() {
            for (_, path) in layer.linears {
                guard let lora = layer[keyPath: path].lora else { continue }
                b.axpy(lora.scale, b.matmul(lora.b, lora.a), into: copy.layers[i][keyPath: path].weight)
            }
        }
        return copy
    }
}
