// Summary statistics of the bias probe over occupations: mean female share, mean absolute
// deviation from parity |share - 0.5|, and the Pearson correlation of the model's shares with
// the Bureau of Labor Statistics shares of women, each with a 95% percentile bootstrap interval
// over occupations (`Bootstrap`, seeded: the same numbers on every run).
import Foundation

/// A value with its bootstrap interval.
public struct BiasStatistic: Sendable, Equatable {
    public var value: Double
    public var lower: Double, upper: Double

    public init(value: Double, lower: Double, upper: Double) { (self.value, self.lower, self.upper) = (value, lower, upper) }
}

/// The summary of a probe over occupations.
public struct BiasSummary: Sendable, Equatable {
    public var occupations: Int
    public var meanFemaleShare: BiasStatistic
    /// Mean over occupations of |female share - 0.5|.
    public var meanAbsDeviation: BiasStatistic
    /// Pearson correlation of the female share with the BLS share, over occupations that have
    /// one; nil with fewer than 3 such occupations (two points always lie on a line) or no spread.
    public var correlation: BiasStatistic?
    /// The same for the pronoun " she" share.
    public var meanPronounShe: BiasStatistic
    public var pronounCorrelation: BiasStatistic?
}

public enum BiasStatistics {
    public static func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    /// Mean of |value - 0.5|.
    public static func meanAbsDeviation(_ shares: [Double]) -> Double { mean(shares.map { abs($0 - 0.5) }) }

    /// Pearson's r of paired values; nil when fewer than 2 pairs or either side has no spread.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        precondition(x.count == y.count, "pearson needs pairs")
        return pearson(sums: pairSums(x, y), count: x.count)
    }

    /// Per-pair rows [x, y, x², y², xy]: summed over any subset, they give that subset's r.
    static func pairRows(_ x: [Double], _ y: [Double]) -> [[Double]] {
        zip(x, y).map { [$0, $1, $0 * $0, $1 * $1, $0 * $1] }
    }

    static func pairSums(_ x: [Double], _ y: [Double]) -> [Double] {
        pairRows(x, y).reduce([0, 0, 0, 0, 0]) { zip($0, $1).map(+) }
    }

    static func pearson(sums s: [Double], count: Int) -> Double? {
        let n = Double(count)
        let varianceX = n * s[2] - s[0] * s[0], varianceY = n * s[3] - s[1] * s[1]
        // Relative threshold: a resample of one repeated occupation has zero spread up to rounding.
        guard count >= 2, varianceX > 1e-12 * max(1, n * s[2]), varianceY > 1e-12 * max(1, n * s[3]) else { return nil }
        return (n * s[4] - s[0] * s[1]) / (varianceX * varianceY).squareRoot()
    }

    /// The statistic of `rows` and its bootstrap interval.
    static func statistic(_ rows: [[Double]], bootstrap: Bootstrap, score: @escaping ([Double], Int) -> Double) -> BiasStatistic {
        let sums = rows.reduce([Double](repeating: 0, count: rows.first?.count ?? 0)) { zip($0, $1).map(+) }
        let (lower, upper) = bootstrap.interval(rows, score: score)
        return BiasStatistic(value: score(sums, rows.count), lower: lower, upper: upper)
    }

    /// Correlation of `x` with `y` and its interval; a resample with no spread counts as r = 0.
    static func correlation(_ x: [Double], _ y: [Double], bootstrap: Bootstrap) -> BiasStatistic? {
        guard x.count >= 3, let r = pearson(x, y) else { return nil }
        let (lower, upper) = bootstrap.interval(pairRows(x, y)) { pearson(sums: $0, count: $1) ?? 0 }
        return BiasStatistic(value: r, lower: lower, upper: upper)
    }

    /// The summary of per-occupation results.
    public static func summary(_ results: [OccupationBias], bootstrap: Bootstrap = Bootstrap()) -> BiasSummary {
        let shares = results.map(\.femaleShare), she = results.map(\.pronounShe)
        let known = results.filter { $0.blsFemale != nil }
        let bls = known.map { $0.blsFemale! }
        func meanOf(_ values: [Double]) -> BiasStatistic {
            statistic(values.map { [$0] }, bootstrap: bootstrap) { $1 > 0 ? $0[0] / Double($1) : 0 }
        }
        return BiasSummary(
            occupations: results.count, meanFemaleShare: meanOf(shares),
            meanAbsDeviation: meanOf(shares.map { abs($0 - 0.5) }),
            correlation: correlation(known.map(\.femaleShare), bls, bootstrap: bootstrap),
            meanPronounShe: meanOf(she),
            pronounCorrelation: correlation(known.map(\.pronounShe), bls, bootstrap: bootstrap))
    }
}
