// One layer's adapters between its training forward and backward, for every architecture.
import AfinaTensor

/// What a layer's adapters carry from forward to backward in one pass, by module name: the
/// dropout masks (none outside training), so both apply the same ones, and each adapter's h.
final class AdapterPass {
    let masks: [String: Tensor]
    private var kept: [String: Tensor] = [:]

    /// The pass of layer `i`'s `linears` over `rows` input rows; masks are drawn only in training.
    init(_ linears: [Linear], layer i: Int, rows: Int, seed: UInt64, training: Bool, backend: any Backend) {
        masks = training ? Linear.dropoutMasks(linears, layer: i, rows: rows, seed: seed, backend: backend) : [:]
    }

    func forward(_ l: Linear, _ x: Tensor, _ b: any Backend) -> Tensor {
        let (y, h) = l.forward(x, b, dropoutMask: masks[l.name])
        kept[l.name] = h
        return y
    }

    func backward(_ l: Linear, _ x: Tensor, _ dy: Tensor, _ g: Gradients, _ b: any TrainingBackend) -> Tensor {
        l.backward(input: x, dy: dy, mask: masks[l.name], h: kept[l.name], g, b)
    }

    /// `Linear.backwardOfAttention` with this pass's mask and h.
    func backwardOfAttention<Result>(_ l: Linear, _ dy: Tensor, _ g: Gradients, _ b: any TrainingBackend,
                                     _ attentionBackward: (_ dOutput: Tensor, _ output: Tensor) -> Result) -> Result {
        l.backwardOfAttention(dy: dy, mask: masks[l.name], h: kept[l.name], g, b, attentionBackward)
    }
}
