// Holding out a validation set from the training examples when no validation file is given.

/// A seeded split of `count` examples into training and validation indices.
public struct DataSplit: Sendable, Equatable {
    /// Training example indices, ascending.
    public let train: [Int]
    /// Validation example indices, ascending.
    public let validation: [Int]

    /// `validationFraction` of the examples (rounded, at least one when the fraction is
    /// positive, never all of them) chosen at random by `seed` for validation.
    public init(count: Int, validationFraction: Double, seed: UInt64) {
        let order = SplitMix64.permutation(count: count, seed: seed)
        var held = validationFraction > 0 ? max(1, Int((Double(order.count) * validationFraction).rounded())) : 0
        held = min(held, max(order.count - 1, 0))
        validation = order.prefix(held).sorted()
        train = order.dropFirst(held).sorted()
    }
}
