// Corpus BLEU (Papineni et al. 2002, "BLEU: a Method for Automatic Evaluation of Machine
// Translation") exactly as sacrebleu 2.6.0's `corpus_bleu` with its defaults: case-sensitive,
// the 13a tokenizer after stripping trailing whitespace, word n-grams of orders 1-4 clipped by
// the highest count in any one reference, the reference length closest to the hypothesis
// (the shorter on ties), brevity penalty and geometric mean over the whole corpus, and
// sacrebleu's default "exp" smoothing (NIST's: the k-th order with no match counts
// 1 / (2^k * total) instead of 0). Scores are 0-100. Checked against sacrebleu in MetricTests.

import Foundation

public enum BLEU {
    public static let maxOrder = 4

    /// Sufficient statistics of one segment or of a whole corpus (their sum).
    public struct Statistics: Equatable, Sendable {
        public var hypothesisLength = 0
        public var referenceLength = 0
        /// Clipped n-gram matches and hypothesis n-grams, per order 1...maxOrder.
        public var matches = [Int](repeating: 0, count: BLEU.maxOrder)
        public var totals = [Int](repeating: 0, count: BLEU.maxOrder)

        public static func += (lhs: inout Statistics, rhs: Statistics) {
            lhs.hypothesisLength += rhs.hypothesisLength
            lhs.referenceLength += rhs.referenceLength
            for n in 0..<BLEU.maxOrder {
                lhs.matches[n] += rhs.matches[n]
                lhs.totals[n] += rhs.totals[n]
            }
        }
    }

    /// Corpus BLEU (0-100) of `predictions[i]` against the references `references[i]`;
    /// 0 for an empty corpus. The statistics are summed before scoring, so this is not the
    /// mean of sentence scores.
    public static func corpusScore(predictions: [String], references: [[String]]) -> Double {
        var total = Statistics()
        for (prediction, refs) in zip(predictions, references) { total += statistics(prediction, references: refs) }
        return score(total)
    }

    /// One segment's statistics. A prediction with no references has reference length 0 and
    /// no matches (sacrebleu rejects that input).
    public static func statistics(_ prediction: String, references: [String]) -> Statistics {
        let hypothesis = ngramCounts(prediction)
        var best: [[Tokenizer13a.Token]: Int] = [:]
        var closest: (difference: Int, length: Int)? = nil
        for reference in references {
            let counts = ngramCounts(reference)
            best.merge(counts.grams) { max($0, $1) }
            let difference = abs(hypothesis.length - counts.length)
            if closest == nil || difference < closest!.difference
                || (difference == closest!.difference && counts.length < closest!.length) {
                closest = (difference, counts.length)
            }
        }
        var stats = Statistics(hypothesisLength: hypothesis.length, referenceLength: closest?.length ?? 0)
        for (gram, count) in hypothesis.grams {
            stats.totals[gram.count - 1] += count
            stats.matches[gram.count - 1] += min(count, best[gram] ?? 0)
        }
        return stats
    }

    /// BLEU (0-100) from summed statistics, as sacrebleu's `compute_bleu` with "exp" smoothing.
    public static func score(_ stats: Statistics) -> Double {
        let (hypothesisLength, referenceLength) = (stats.hypothesisLength, stats.referenceLength)
        var brevityPenalty = 1.0
        if hypothesisLength < referenceLength {
            brevityPenalty = hypothesisLength > 0 ? exp(1 - Double(referenceLength) / Double(hypothesisLength)) : 0
        }
        // No match of any order scores 0 outright (sacrebleu #141), rather than smoothed.
        guard stats.matches.contains(where: { $0 > 0 }) else { return 0 }
        var precisions = [Double](repeating: 0, count: maxOrder)  // percentages
        var smoothing = 1.0
        for n in 0..<maxOrder {
            // An order the hypotheses are too short for, and every higher one, stays at 0.
            if stats.totals[n] == 0 { break }
            if stats.matches[n] == 0 {
                smoothing *= 2
                precisions[n] = 100 / (smoothing * Double(stats.totals[n]))
            } else {
                precisions[n] = 100 * Double(stats.matches[n]) / Double(stats.totals[n])
            }
        }
        // sacrebleu's `my_log` floors log(0) at -9999999999, which makes the score 0.
        let logSum = precisions.reduce(0.0) { $0 + ($1 == 0 ? -9_999_999_999 : log($1)) }
        return brevityPenalty * exp(logSum / Double(maxOrder))
    }

    /// The n-gram counts (orders 1...maxOrder) and token count of one segment, tokenized as
    /// sacrebleu's `_preprocess_segment`: trailing whitespace stripped, then 13a.
    static func ngramCounts(_ text: String) -> (grams: [[Tokenizer13a.Token]: Int], length: Int) {
        let tokens = Tokenizer13a.tokens(PythonText.rstrip(text))
        var grams: [[Tokenizer13a.Token]: Int] = [:]
        for n in 1...maxOrder where tokens.count >= n {
            for start in 0...(tokens.count - n) { grams[Array(tokens[start..<start + n]), default: 0] += 1 }
        }
        return (grams, tokens.count)
    }
}
