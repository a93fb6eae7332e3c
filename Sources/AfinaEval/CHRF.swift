// chrF (Popović 2015, "chrF: character n-gram F-score for automatic MT evaluation") with
// sacrebleu 2.x's CHRF defaults: character n-grams of orders 1-6 with whitespace removed,
// beta 2, no word n-grams, averaging precision and recall over the orders both sides have
// (no epsilon smoothing), the best reference per segment, statistics summed over the corpus.
// Characters are Unicode scalars, as Python's str; checked against sacrebleu in CHRFTests.

public enum CHRF {
    public static let charOrder = 6
    public static let beta = 2.0

    /// Corpus chrF (0-100) of `hypotheses[i]` against `references[i]`.
    public static func corpusScore(hypotheses: [String], references: [[String]]) -> Double {
        var total = [Int](repeating: 0, count: 3 * charOrder)
        for (hypothesis, refs) in zip(hypotheses, references) {
            for (i, s) in statistics(hypothesis, refs).enumerated() { total[i] += s }
        }
        return fScore(total)
    }

    /// chrF (0-100) of one hypothesis against its best reference.
    public static func sentenceScore(_ hypothesis: String, references: [String]) -> Double {
        fScore(statistics(hypothesis, references))
    }

    /// [hypothesis n-grams, reference n-grams, matches] per order, for the reference with
    /// the highest F (the first one on ties).
    static func statistics(_ hypothesis: String, _ references: [String]) -> [Int] {
        let hypothesisGrams = ngrams(hypothesis)
        var best = [Int](repeating: 0, count: 3 * charOrder), bestScore = -1.0
        for reference in references {
            let referenceGrams = ngrams(reference)
            var stats: [Int] = []
            for (h, r) in zip(hypothesisGrams, referenceGrams) {
                let matches = h.reduce(0) { $0 + min($1.value, r[$1.key] ?? 0) }
                // An order the reference is too short for counts no hypothesis n-grams.
                stats += [r.isEmpty ? 0 : h.values.reduce(0, +), r.values.reduce(0, +), matches]
            }
            let score = fScore(stats)
            if score > bestScore { (best, bestScore) = (stats, score) }
        }
        return best
    }

    /// Counts of the character n-grams of orders 1...charOrder, whitespace removed.
    static func ngrams(_ text: String) -> [[[UInt32]: Int]] {
        let scalars = text.unicodeScalars.filter { !$0.properties.isWhitespace }.map(\.value)
        return (1...charOrder).map { n in
            var counts: [[UInt32]: Int] = [:]
            if scalars.count >= n {
                for start in 0...(scalars.count - n) { counts[Array(scalars[start..<start + n]), default: 0] += 1 }
            }
            return counts
        }
    }

    /// F-beta of precision and recall averaged over the orders with n-grams on both sides.
    static func fScore(_ stats: [Int]) -> Double {
        var precision = 0.0, recall = 0.0, orders = 0
        for order in 0..<charOrder {
            let (hypothesis, reference, matches) = (stats[3 * order], stats[3 * order + 1], stats[3 * order + 2])
            guard hypothesis > 0, reference > 0 else { continue }
            precision += Double(matches) / Double(hypothesis)
            recall += Double(matches) / Double(reference)
            orders += 1
        }
        guard orders > 0 else { return 0 }
        precision /= Double(orders)
        recall /= Double(orders)
        let factor = beta * beta
        guard precision + recall > 0 else { return 0 }
        return 100 * (1 + factor) * precision * recall / (factor * precision + recall)
    }
}
