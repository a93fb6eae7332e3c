// The Sentence Encoder Association Test (May et al. 2019, "On Measuring Social Biases in
// Sentence Encoders"): Caliskan et al. 2017's WEAT over sentence embeddings. With cosine
// similarity, s(w, A, B) = mean_a cos(w, a) - mean_b cos(w, b); the effect size is
// (mean_X s - mean_Y s) / std_{X u Y} s with the sample (n - 1) deviation; the one-sided p-value
// is the share of re-partitions (X_i, Y_i) of X u Y, |X_i| = |X|, whose statistic
// sum_{X_i} s - sum_{Y_i} s is at least the observed one. As in May et al.'s code
// (sent-bias's `weat.py`): ties count, the partitions are all of them when there are at most
// `permutations`, else `permutations` draws of which the first is the observed partition
// (so a sampled p-value is never 0), and the comparison uses sum_{X_i} s alone, which orders
// partitions the same way (the statistic is 2 sum_{X_i} s - sum_{X u Y} s). Unlike sent-bias,
// |X| and |Y| may differ; the argument holds for any sizes. Everything is computed in Double.
import AfinaData
import Foundation

/// One test's outcome.
public struct SEATResult: Codable, Sendable, Equatable {
    public var name: String
    /// The names of X and Y, and of A and B.
    public var targets: [String], attributes: [String]
    /// Sentences in X and Y, and in A and B.
    public var targetSizes: [Int], attributeSizes: [Int]
    /// Positive when X is closer to A and Y to B than the reverse.
    public var effectSize: Double
    /// One-sided: the chance, with no association, of an effect at least this far towards X-A.
    public var pValue: Double
    /// The partitions the p-value counts: every one when `exact`, else this many random ones.
    public var partitions: Int
    public var exact: Bool
}

public enum SEAT {
    /// Runs each test: one call to `embed` per test with its distinct sentences (in the order
    /// X, Y, A, B), which must return one vector per sentence, all of one length. The random
    /// partitions of each test are drawn from `SplitMix64(seed:)`, so a test's p-value does not
    /// depend on the tests run before it.
    public static func run(_ tests: [SEATTest], embed: ([String]) throws -> [[Float]],
                           permutations: Int = 100_000, seed: UInt64 = 0) throws -> [SEATResult] {
        guard permutations >= 1 else { throw EvalError.invalidArgument("SEAT needs at least 1 permutation, got \(permutations)") }
        return try tests.map { test in
            if let problem = test.problem { throw EvalError.invalidArgument("SEAT test \"\(test.name)\": \(problem)") }
            let sets = [test.x, test.y, test.a, test.b].map(\.sentences)
            var distinct: [String] = [], index: [String: Int] = [:]
            for sentence in sets.joined() where index[sentence] == nil {
                index[sentence] = distinct.count
                distinct.append(sentence)
            }
            let vectors = try unitVectors(try embed(distinct), for: distinct, test: test.name)
            let embedded = sets.map { $0.map { vectors[index[$0]!] } }
            let (x, y, a, b) = (embedded[0], embedded[1], embedded[2], embedded[3])
            let s = (x + y).map { w in mean(a.map { dot(w, $0) }) - mean(b.map { dot(w, $0) }) }   // [|X| + |Y|]
            let spread = sampleStandardDeviation(s)
            guard spread > 0 else {
                throw EvalError.invalidArgument("SEAT test \"\(test.name)\": s(w, A, B) is the same for every target "
                    + "sentence, so the effect size is undefined (do the targets embed to one vector?)")
            }
            let effect = (mean(Array(s[..<x.count])) - mean(Array(s[x.count...]))) / spread
            let (p, partitions, exact) = pValue(s, xCount: x.count, permutations: permutations, seed: seed)
            return SEATResult(name: test.name, targets: [test.x.name, test.y.name], attributes: [test.a.name, test.b.name],
                              targetSizes: [x.count, y.count], attributeSizes: [a.count, b.count],
                              effectSize: effect, pValue: p, partitions: partitions, exact: exact)
        }
    }

    /// The embeddings as unit vectors in Double, so a dot product is the cosine similarity.
    static func unitVectors(_ vectors: [[Float]], for sentences: [String], test: String) throws -> [[Double]] {
        func fail(_ message: String) -> EvalError { .invalidArgument("SEAT test \"\(test)\": \(message)") }
        guard vectors.count == sentences.count else {
            throw fail("the embedder returned \(vectors.count) vectors for \(sentences.count) sentences")
        }
        guard let width = vectors.first?.count, width > 0, vectors.allSatisfy({ $0.count == width }) else {
            throw fail("the embedder returned vectors of lengths \(Set(vectors.map(\.count)).sorted()); expected one length > 0")
        }
        return try zip(vectors, sentences).map { vector, sentence in
            let v = vector.map(Double.init)
            let norm = dot(v, v).squareRoot()
            guard norm > 0, norm.isFinite else { throw fail("the embedding of \"\(sentence)\" has norm \(norm); no cosine") }
            return v.map { $0 / norm }
        }
    }

    /// The one-sided permutation p-value of the statistic over `s` (X first, then Y), the number
    /// of partitions counted, and whether they were all of them.
    static func pValue(_ s: [Double], xCount: Int, permutations: Int, seed: UInt64) -> (Double, Int, Bool) {
        func sum(_ indices: some Sequence<Int>) -> Double { indices.reduce(0) { $0 + s[$1] } }
        let observed = sum(0..<xCount)
        if let count = binomial(s.count, xCount, atMost: permutations) {
            // Every xCount-subset in lexicographic order; the first is X itself.
            var chosen = Array(0..<xCount), atLeast = 0
            while true {
                if sum(chosen) >= observed { atLeast += 1 }
                guard let i = chosen.indices.last(where: { chosen[$0] < s.count - xCount + $0 }) else { break }
                chosen[i] += 1
                for j in (i + 1)..<xCount { chosen[j] = chosen[j - 1] + 1 }
            }
            return (Double(atLeast) / Double(count), count, true)
        }
        var generator = SplitMix64(seed: seed)
        var pool = Array(s.indices), atLeast = 1   // the observed partition is the first draw
        for _ in 1..<permutations {
            var total = 0.0
            for i in 0..<xCount {   // a partial Fisher-Yates shuffle draws X_i
                pool.swapAt(i, i + generator.uniform(below: pool.count - i))
                total += s[pool[i]]
            }
            if total >= observed { atLeast += 1 }
        }
        return (Double(atLeast) / Double(permutations), permutations, false)
    }

    /// n choose k, or nil when it exceeds `limit` (or Int).
    static func binomial(_ n: Int, _ k: Int, atMost limit: Int) -> Int? {
        var result = 1
        for i in 0..<min(k, n - k) {
            // result * (n - i) / (i + 1) is C(n, i + 1), exact at every step.
            let (product, overflow) = result.multipliedReportingOverflow(by: n - i)
            guard !overflow else { return nil }
            result = product / (i + 1)
            if result > limit { return nil }
        }
        return result
    }

    static func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    static func sampleStandardDeviation(_ values: [Double]) -> Double {
        let m = mean(values)
        return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }
}
