// The layer-pruning capability: a smaller student made by keeping some of a teacher's layers
// (DistilBERT's initialisation). `afina student init` asks for this, never for an architecture.

/// A network whose stack of layers can be cut down to a chosen subset.
public protocol LayerPrunableModel: LanguageModel {
    /// Layers in the stack, numbered from 0 (what a `LayerSelection` is checked against).
    var layerCount: Int { get }
    /// A float32 copy holding the layers at `indices` (ascending, distinct), renumbered from 0,
    /// with everything outside the stack unchanged. Adapters must be merged first.
    func keepingLayers(_ indices: [Int]) throws -> Self
}
