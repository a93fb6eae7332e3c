// A linear layer: y = x Wᵀ + b, plus an optional low-rank adapter (LoRA, Hu et al. 2021):
// y += scale * dropout(x) Aᵀ Bᵀ. The base weight may stay quantized (QLoRA-style).
import AfinaTensor

/// Low-rank adapter of a linear layer: A [rank, in], B [out, rank].
public struct LoRA: @unchecked Sendable {
    public let a: Tensor
    public let b: Tensor
    /// alpha / rank, or alpha / sqrt(rank) with rsLoRA (Kalajdzievski 2023).
    public let scale: Float
    /// Probability of zeroing an input element of the adapter branch during training.
    public let dropout: Float

    public init(a: Tensor, b: Tensor, scale: Float, dropout: Float = 0) {
        precondition(a.rows == b.columns, "LoRA: A \(a) and B \(b) disagree on the rank")
        (self.a, self.b, self.scale, self.dropout) = (a, b, scale, dropout)
    }

    public static func scale(alpha: Double, rank: Int, rsLoRA: Bool) -> Float {
        Float(rsLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank))
    }
}

/// The weights of one linear layer, named as in the checkpoint (`model.layers.0.self_attn.q_proj`).
public struct Linear: @unchecked Sendable {
    public let name: String
    public let weight: Tensor       // [out, in], possibly quantized
    public let bias: Tensor?        // [out]
    public var lora: LoRA?

    public init(name: String, weight: Tensor, bias: Tensor? = nil, lora: LoRA? = nil) {
        (self.name, self.weight, self.bias, self.lora) = (name, weight, bias, lora)
    }

    /// x [N, in] -> [N, out]; `dropoutMask` (training) scales the adapter's input.
    public func callAsFunction(_ x: Tensor, _ backend: any Backend, dropoutMask: Tensor? = nil) -> Tensor {
        forward(x, backend, dropoutMask: dropoutMask).y
    }

    /// y, and the adapter's h = (mask ⊙ x) Aᵀ [N, rank] (nil without one), which backward
    /// needs again: a few columns to keep, where computing it again reads all of x.
    func forward(_ x: Tensor, _ backend: any Backend, dropoutMask: Tensor?) -> (y: Tensor, h: Tensor?) {
        let y = backend.linear(x, weight: weight, bias: bias)
        guard let lora else { return (y, nil) }
        let input = dropoutMask.map { backend.multiply(x, $0) } ?? x
        let h = backend.linear(input, weight: lora.a, bias: nil)                          // [N, rank]
        backend.accumulateLinear(h, weight: lora.b, alpha: lora.scale, into: y)
        return (y, h)
    }
}

extension Linear {
    /// Several layers of the same input (attention's q, k and v; the MLP's gate and up). Without
    /// adapters they go to the backend as one call, which decodes them in one pass.
    public static func apply(_ layers: [Linear], _ x: Tensor, _ backend: any Backend) -> [Tensor] {
        guard layers.allSatisfy({ $0.lora == nil }) else { return layers.map { $0(x, backend) } }
        return backend.linear(x, weights: layers.map { ($0.weight, $0.bias) })
    }
}
