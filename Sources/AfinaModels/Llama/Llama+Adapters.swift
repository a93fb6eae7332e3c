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
                let l = layers[i][keyPath: path]
                let (out, inputs) = (l.weight.rows, l.weight.columns)
                let a: Tensor, b: Tensor
                if remaining != nil {
                    a = try takeAdapter(&remaining!, l.name + ".lora_A.weight", shape: [settings.rank, inputs])
                    b = try takeAdapter(&remaining!, l.name + ".lora_B.weight", shape: [out, settings.rank])
                } else {
                    // peft: A ~ Kaiming-uniform(a = sqrt 5) = U(-1/sqrt(in), 1/sqrt(in)); B = 0.
                    let bound = 1 / Double(inputs).squareRoot()
                    a = backend.tensor((0..<settings.rank * inputs).map { _ in
                        Float((random.nextDouble() * 2 - 1) * bound)
                    }, shape: [settings.rank, inputs])
                    b = backend.zeros([out, settings.rank])
                }
                layers[i][keyPath: path].lora = LoRA(a: a, b: b, scale: settings.scale, dropout: Float(settings.dropout))
            }
        }
        if let left = remaining, !left.isEmpty {
            throw ModelError.unexpectedWeights(left.keys.sorted(), source: "adapter")
        }
        // Under adapters the base is frozen.
        for p in parameters(.all) { backend.declareWeight(p.value) }
    }

    private func takeAdapter(_ weights: inout [String: Tensor], _ name: String, shape: [Int]) throws -> Tensor {
        guard let t = weights.removeValue(forKey: name) else { throw ModelError.missingWeight(name, source: "adapter") }
        guard t.shape == shape else {
            throw ModelError.shapeMismatch(name, expected: shape, found: t.shape, source: "adapter")
        }
        return t
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
