// A linear layer's side of training, shared by every architecture: its backward (with the
// adapter's), and making an adapter for it (fresh as peft initialises one, or saved).
import AfinaTensor

extension Linear {
    /// dx from dy [N, out] for input x [N, in], adding the weight, bias and adapter gradients
    /// that `g` tracks. `mask` is the adapter's dropout mask of the forward pass.
    /// `h` is the adapter's h from `forward`, computed again where not given.
    func backward(input x: Tensor, dy: Tensor, mask: Tensor?, h: Tensor? = nil, _ g: Gradients,
                  _ b: any TrainingBackend) -> Tensor {
        let (dx, dh) = inputGradient(dy: dy, mask: mask, b)
        accumulateParameterGradients(input: x, dy: dy, dh: dh, mask: mask, h: h, g, b)
        return dx
    }

    /// `backward` for this layer applied to attention's output, o(attention(q, k, v)), where that
    /// output is not kept: `attentionBackward` gets d(attention's output) and a zeroed tensor,
    /// shaped like this layer's input, to fill with attention's output (its backward recomputes
    /// the probabilities anyway), which then serves as that input. Returns what
    /// `attentionBackward` returns.
    func backwardOfAttention<Result>(dy: Tensor, mask: Tensor?, h: Tensor? = nil, _ g: Gradients,
                                     _ b: any TrainingBackend,
                                     _ attentionBackward: (_ dOutput: Tensor, _ output: Tensor) -> Result) -> Result {
        let (dOutput, dh) = inputGradient(dy: dy, mask: mask, b)
        let output = b.zeros([dy.rows, weight.columns])
        let result = attentionBackward(dOutput, output)
        accumulateParameterGradients(input: output, dy: dy, dh: dh, mask: mask, h: h, g, b)
        return result
    }

    /// The half of `backward` that needs no input: dx, and the adapter's dh (nil without one)
    /// for `accumulateParameterGradients`. With y = x Wᵀ + s (m ⊙ x) Aᵀ Bᵀ and h = (m ⊙ x) Aᵀ:
    /// dh = s dy B and dx = dy W + m ⊙ (dh A).
    private func inputGradient(dy: Tensor, mask: Tensor?, _ b: any TrainingBackend) -> (dx: Tensor, dh: Tensor?) {
        let dx = b.matmul(dy, weight)                                                  // [N, in]
        guard let lora else { return (dx, nil) }
        let dh = b.matmul(dy, lora.b)                                                  // [N, r]
        b.scale(dh, by: lora.scale)
        if let mask {
            b.axpy(1, b.multiply(b.matmul(dh, lora.a), mask), into: dx)                 // [N, in]
        } else {
            b.accumulateMatmul(dh, lora.a, into: dx)
        }
        return (dx, dh)
    }

    /// The other half: the gradients of the weight, bias and adapter that `g` tracks, from the
    /// input x: dW += dyᵀ x, dB += s dyᵀ h, dA += dhᵀ (m ⊙ x).
    private func accumulateParameterGradients(input x: Tensor, dy: Tensor, dh: Tensor?, mask: Tensor?, h: Tensor?,
                                              _ g: Gradients, _ b: any TrainingBackend) {
        if let gw = g[weight] { b.accumulateWeightGradient(dy, x, alpha: 1, into: gw) }
        if let bias, let gb = g[bias] { b.accumulateBiasGradient(dy, into: gb) }
        guard let lora, let dh else { return }
        let input = mask.map { b.multiply(x, $0) } ?? x
        if let gB = g[lora.b] {
            let h = h ?? b.linear(input, weight: lora.a, bias: nil)                    // [N, r]
            b.accumulateWeightGradient(dy, h, alpha: lora.scale, into: gB)
        }
        if let gA = g[lora.a] { b.accumulateWeightGradient(dh, input, alpha: 1, into: gA) }
    }

    /// Folds this layer's adapter, if any, into `weight` (a float32 copy of the base weight of
    /// its own): W + scale · B A.
    func foldAdapter(into weight: Tensor, _ b: any TrainingBackend) {
        guard let lora else { return }
        b.axpy(lora.scale, b.matmul(lora.b, lora.a), into: weight)
    }

    /// An adapter for this layer: from `saved` (`<name>.lora_A.weight` / `.lora_B.weight`,
    /// removed from it) when given, else fresh as peft makes one (A ~ Kaiming-uniform(a = √5)
    /// = U(-1/√in, 1/√in), B = 0).
    func makeAdapter(_ settings: LoRAConfiguration, saved: inout [String: Tensor]?, random: inout Xoshiro256,
                     backend: any Backend) throws -> LoRA {
        let (out, inputs) = (weight.rows, weight.columns)
        let a: Tensor, b: Tensor
        if saved != nil {
            a = try Self.take(&saved!, name + ".lora_A.weight", shape: [settings.rank, inputs])
            b = try Self.take(&saved!, name + ".lora_B.weight", shape: [out, settings.rank])
        } else {
            let bound = 1 / Double(inputs).squareRoot()
            a = backend.tensor((0..<settings.rank * inputs).map { _ in Float((random.nextDouble() * 2 - 1) * bound) },
                               shape: [settings.rank, inputs])
            b = backend.zeros([out, settings.rank])
        }
        return LoRA(a: a, b: b, scale: settings.scale, dropout: Float(settings.dropout))
    }

    /// Inverted-dropout masks (0 or 1/(1-p)) for the adapters of one layer's `linears`, by
    /// name, drawn from a seed and the layer index so recomputation during backward draws the
    /// same ones.
    static func dropoutMasks(_ linears: [Linear], layer i: Int, rows: Int, seed: UInt64,
                             backend: any Backend) -> [String: Tensor] {
        var masks: [String: Tensor] = [:]
        var random = Xoshiro256(seed: seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
        for l in linears {
            guard let lora = l.lora, lora.dropout > 0 else { continue }
            let keep = 1 / (1 - lora.dropout)
            let values = (0..<rows * l.weight.columns).map { _ in Float(random.nextDouble()) < lora.dropout ? 0 : keep }
            masks[l.name] = backend.tensor(values, shape: [rows, l.weight.columns])
        }
        return masks
    }

    private static func take(_ weights: inout [String: Tensor], _ name: String, shape: [Int]) throws -> Tensor {
        guard let t = weights.removeValue(forKey: name) else { throw ModelError.missingWeight(name, source: "adapter") }
        guard t.shape == shape else { throw ModelError.shapeMismatch(name, expected: shape, found: t.shape, source: "adapter") }
        return t
    }
}
