// The sizes of a transformer that a training run plans memory by (MemoryEstimate in
// AfinaTraining), so the planning needs no architecture's own configuration type.

/// Widths and depths of a transformer stack; attention may have fewer key/value heads (GQA).
public struct ModelDimensions: Sendable, Equatable {
    public var layerCount: Int
    public var hiddenSize: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var intermediateSize: Int
    public var vocabularySize: Int

    public init(layerCount: Int, hiddenSize: Int, headCount: Int, kvHeadCount: Int, headDim: Int,
                intermediateSize: Int, vocabularySize: Int) {
        (self.layerCount, self.hiddenSize, self.headCount, self.kvHeadCount) = (layerCount, hiddenSize, headCount, kvHeadCount)
        (self.headDim, self.intermediateSize, self.vocabularySize) = (headDim, intermediateSize, vocabularySize)
    }
}
