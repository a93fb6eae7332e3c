// Accuracy and macro-F1 of predicted labels, as sums of per-example statistics (so the
// bootstrap resamples sums). Macro-F1 as scikit-learn's f1_score(average="macro", labels=the
// references' labels): the mean over the task's labels of 2TP / (2TP + FP + FN); an answer
// that is none of them counts against its reference's label only. Labels compare without
// case, surrounding whitespace or one final period, so a prompted decoder's "Positive."
// counts as "positive".

enum ClassificationMetrics {
    static func label(_ text: String) -> String { ExactMatch.normalized(text).lowercased() }

    /// Per example: 1 if correct.
    static func accuracyStatistics(predictions: [String], references: [[String]]) -> [[Double]] {
        zip(predictions, references).map { predicted, gold in [gold.map(label).contains(label(predicted)) ? 1 : 0] }
    }

    /// Per example: (TP, FP, FN) for each of the references' labels, sorted; an example's
    /// reference is its first.
    static func f1Statistics(predictions: [String], references: [[String]]) -> [[Double]] {
        let golds = references.map { label($0.first ?? "") }
        let labels = Set(golds).sorted()
        let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        return zip(predictions, golds).map { predicted, gold in
            var row = [Double](repeating: 0, count: 3 * labels.count)
            let g = index[gold]!
            switch index[label(predicted)] {
            case g: row[3 * g] = 1
            case let p?: row[3 * p + 1] = 1; row[3 * g + 2] = 1
            case nil: row[3 * g + 2] = 1
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
