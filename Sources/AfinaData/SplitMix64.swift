// SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number generators", 2014),
// the generator Java's SplittableRandom and xoshiro's seeding use, and a Fisher-Yates shuffle
// on it. Written out rather than taken from the standard library so an order depends only on
// the seed, not on the Swift version's `shuffle` or `next(upperBound:)`.

/// A small seeded pseudorandom generator: the same seed gives the same numbers everywhere.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (bound > 0), by Lemire's multiply-and-reject method.
    public mutating func uniform(below bound: Int) -> Int {
        let range = UInt64(bound)
        let threshold = (0 &- range) % range
        while true {
            let product = next().multipliedFullWidth(by: range)
            if product.low >= threshold { return Int(product.high) }
        }
    }

    /// A uniform double in [0, 1) from the top 53 bits.
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// `0..<count` in a random order (Fisher-Yates).
    public static func permutation(count: Int, seed: UInt64) -> [Int] {
        var generator = SplitMix64(seed: seed)
        var order = Array(0..<max(count, 0))
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, generator.uniform(below: i + 1))
        }
        return order
    }
}
