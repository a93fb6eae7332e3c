// How much arithmetic a model's forward pass does over a batch, counted by the model itself, so
// a benchmark can give a run's share of the machine's peak without knowing the architecture.

/// Multiply-adds of one forward pass: in the weight products (an output head included) and in
/// attention's scores and weighted sums.
public struct ForwardMultiplyAdds: Sendable, Equatable {
    public var products: Double
    public var attention: Double

    public init(products: Double, attention: Double) { (self.products, self.attention) = (products, attention) }
}
