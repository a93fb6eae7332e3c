// Turning logits into the next token: repetition penalty, then greedy or temperature with
// top-k, top-p and min-p filtering (the order transformers' generate applies them).
import Foundation

/// Sampling settings; temperature 0 means greedy.
public struct SamplingParameters: Sendable, Equatable {
    public var temperature: Float = 0
    /// Keep the k most likely tokens (0: off).
    public var topK: Int = 0
    /// Keep the smallest set of most likely tokens whose probabilities sum to at least topP.
    public var topP: Float = 1
    /// Drop tokens less likely than minP times the most likely one.
    public var minP: Float = 0
    /// Divides positive logits (multiplies negative ones) of tokens already seen (1: off).
    public var repetitionPenalty: Float = 1
    public var seed: UInt64 = 0

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                repetitionPenalty: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.seed = seed
    }

    /// Rejects values that make no sense, naming the parameter.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw ModelError.invalidArgument(message) }
        }
        try check(temperature >= 0 && temperature.isFinite, "temperature must be >= 0, got \(temperature)")
        try check(topK >= 0, "top-k must be >= 0, got \(topK)")
        try check(topP > 0 && topP <= 1, "top-p must be in (0, 1], got \(topP)")
        try check(minP >= 0 && minP < 1, "min-p must be in [0, 1), got \(minP)")
        try check(repetitionPenalty > 0 && repetitionPenalty.isFinite,
                  "repetition penalty must be > 0, got \(repetitionPenalty)")
    }
}

/// Draws tokens with a seeded generator, so a seed reproduces a run.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var random: Xoshiro256

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = Xoshiro256(seed: parameters.seed)
    }

    /// The next token given raw logits [V] and the ids seen so far (prompt and output).
    public mutating func next(logits raw: [Float], history: [Int32]) -> Int32 {
        var logits = raw
        let p = parameters
        if p.repetitionPenalty != 1 {
            for id in Set(history) {
                let l = logits[Int(id)]
                logits[Int(id)] = l > 0 ? l / p.repetitionPenalty : l * p.repetitionPenalty
            }
        }
        if p.temperature == 0 { return Int32(argmax(logits)) }

        var candidates = logits.indices.sorted { logits[$0] > logits[$1] }
        if p.topK > 0 && p.topK < candidates.count { candidates.removeSubrange(p.topK...) }
        let maxLogit = logits[candidates[0]]
        var probs = candidates.map { exp(Double((logits[$0] - maxLogit) / p.temperature)) }
        let total = probs.reduce(0, +)
        probs = probs.map { $0 / total }
        var keep = probs.count
        if p.topP < 1 {
            var cumulative = 0.0
            for (i, q) in probs.enumerated() {
                cumulative += q
                if cumulative >= Double(p.topP) { keep = i + 1; break }
            }
        }
        if p.minP > 0 {
            keep = min(keep, max(1, probs.prefix { $0 >= Double(p.minP) * probs[0] }.count))
        }
        let kept = probs.prefix(keep)
        var threshold = random.nextDouble() * kept.reduce(0, +)
        for (i, q) in kept.enumerated() {
            threshold -= q
            if threshold < 0 { return Int32(candidates[i]) }
        }
        return Int32(candidates[keep - 1])
    }
}

/// Index of the largest value; the first one on ties, like torch.argmax.
func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}

/// xoshiro256** seeded by splitmix64: small, fast, and the same on every platform.
/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: fast, small-state, reproducible.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    public mutating func nextDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
