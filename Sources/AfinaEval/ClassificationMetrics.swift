// Accuracy and macro-F1 of predicted labels, as sums of per-example statistics (so the
// bootstrap resamples sums). Macro-F1 as scikit-learn's f1_score(average="macro"): the mean
// over every label seen in the references or the predictions of 2TP / (2TP + FP + FN).
// Labels compare as exact match does (surrounding whitespace and one final period ignored),
// so a prompted decoder's "positive." counts as "positive".

enum ClassificationMetrics {
    /// Per example: 1 if correct.
    static func accuracyStatistics(predictions: [String], references: [[String]]) -> [[Double]] {
        zip(predictions, references).map { [ExactMatch.matches($0, references: $1) ? 1 : 0] }
    }

    /// Per example: (TP, FP, FN) for each label, labels sorted; the reference is the first one.
    static func f1Statistics(predictions: [String], references: [[String]]) -> [[Double]] {
        let predictions = predictions.map(ExactMatch.normalized)
        let references = references.map { $0.map(ExactMatch.normalized) }
        let labels = Set(predictions).union(references.compactMap(\.first)).sorted()
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        return zip(predictions, references).map { predicted, gold in
            var row = [Double](repeating: 0, count: 3 * labels.count)
            let (p, g) = (index[predicted]!, index[gold.first ?? predicted]!)
            if p == g {
                row[3 * p] = 1
            } else {
                row[3 * p + 1] = 1
                row[3 * g + 2] = 1
            }
            return row
        }
    }

    /// Mean F1 (0-100) over the labels that occur in the summed statistics.
    static func macroF1(_ sum: [Double]) -> Double {
        var total = 0.0, labels = 0
        for k in stride(from: 0, to: sum.count, by: 3) {
            let (tp, fp, fn) = (sum[k], sum[k + 1], sum[k + 2])
            guard tp + fp + fn > 0 else { continue }
            total += 2 * tp / (2 * tp + fp + fn)
            labels += 1
        }
        return labels == 0 ? 0 : 100 * total / Double(labels)
    }
}
