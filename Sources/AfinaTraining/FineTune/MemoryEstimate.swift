// Peak memory of a training run, estimated before it starts from the model's shapes:
// weights (as stored), trainable float32 copies, their bf16 packings (bf16 products),
// gradients, optimizer state, and the activations one micro-batch keeps for backward.
import AfinaModels

public struct MemoryEstimate: Sendable {
    public var weights: Int
    public var gradients: Int
    public var optimizerState: Int
    public var activations: Int
    public var total: Int { weights + gradients + optimizerState + activations }

    /// `frozenBytes`: bytes of the weights that do not train (quantized or float32).
    /// `packedElements`: elements of the float32 weights that bf16 products pack (0 in fp32).
    public init(dimensions c: ModelDimensions, trainable: [Parameter], frozenBytes: Int, packedElements: Int = 0,
                optimizerSlots: Int, tokensPerPass: Int, recompute: Bool) {
        let trainableBytes = trainable.map { $0.value.count * 4 }.reduce(0, +)
        // Two bf16 packings per weight: one for x·Wᵀ, one for dy·W.
        weights = frozenBytes + trainableBytes + 2 * 2 * packedElements
        gradients = trainableBytes
        optimizerState = trainableBytes * optimizerSlots
        // Per token and layer, backward keeps: x, x1 (D each), q, attn (H*hd), k, v (Hkv*hd),
        // gate, up (FF); recomputation keeps only x per layer and one layer's worth in flight.
        // The output head works on a chunk of rows at a time, fewer where its weight trains
        // (a trainable [V, D] matrix).
        let perLayer = 2 * c.hiddenSize + 2 * c.headCount * c.headDim + 2 * c.kvHeadCount * c.headDim + 2 * c.intermediateSize
        let kept = recompute ? c.layerCount * c.hiddenSize + perLayer : c.layerCount * perLayer
        let headTrains = trainable.contains { $0.value.shape == [c.vocabularySize, c.hiddenSize] }
        activations = 4 * tokensPerPass * (kept + 2 * perLayer)
            + 4 * TokenObjective.chunkRows(headTrains: headTrains, recompute: recompute) * c.vocabularySize * 2
    }

    public var summary: String {
        func gib(_ bytes: Int) -> String { String(format: "%.2f GiB", Double(bytes) / 1_073_741_824) }
        return "peak memory estimate \(gib(total)): weights \(gib(weights)), gradients \(gib(gradients)), "
            + "optimizer \(gib(optimizerState)), activations \(gib(activations))"
    }
}
