// Percentile bootstrap confidence intervals (Efron & Tibshirani 1993, "An Introduction to
// the Bootstrap", ch. 13): resample the examples with replacement, recompute the corpus
// score each time, and take the 2.5th and 97.5th percentiles of those scores. Corpus metrics
// are sums of per-example statistics, so a resample is a sum over drawn indices, not a
// re-scoring of text. Seeded SplitMix64 draws make the interval the same on every run.
import AfinaData

public struct Bootstrap: Sendable, Equatable {
    public var resamples: Int
    /// Coverage of the interval (0.95: the 2.5th to 97.5th percentile).
    public var confidence: Double
    public var seed: UInt64

    public init(resamples: Int = 1000, confidence: Double = 0.95, seed: UInt64 = 0) {
        (self.resamples, self.confidence, self.seed) = (resamples, confidence, seed)
    }

    /// [lower, upper] of the corpus score over resamples of `statistics` (one row per example,
    /// all rows the same length); `score(sum, count)` turns summed rows into the corpus score.
    /// The draws depend only on the seed and the example count, so every metric of one task
    /// sees the same resamples.
    public func interval(_ statistics: [[Double]], score: ([Double], Int) -> Double) -> (lower: Double, upper: Double) {
        let n = statistics.count
        guard n > 0, resamples > 0 else { return (0, 0) }
        let width = statistics[0].count
        var generator = SplitMix64(seed: seed)
        var scores: [Double] = []
        scores.reserveCapacity(resamples)
        var sum = [Double](repeating: 0, count: width)
        for _ in 0..<resamples {
            for k in 0..<width { sum[k] = 0 }
            for _ in 0..<n {
                let row = statistics[generator.uniform(below: n)]
                for k in 0..<width { sum[k] += row[k] }
            }
            scores.append(score(sum, n))
        }
        scores.sort()
        let tail = (1 - confidence) / 2
        return (Self.percentile(scores, tail), Self.percentile(scores, 1 - tail))
    }

    /// The q-quantile of sorted values, interpolating linearly between neighbours (numpy's default).
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + (sorted[above] - sorted[below]) * fraction
    }
}
