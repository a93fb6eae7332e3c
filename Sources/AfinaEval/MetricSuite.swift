// The task metrics `afina eval --metrics` chooses from, each a sum of per-example statistics
// turned into a corpus score (0-100), so the bootstrap resamples sums instead of re-scoring
// text. Each point estimate equals its metric's own `corpusScore` (MetricSuiteTests checks).
import Foundation

/// A task metric, named as on the command line and in JSON.
public enum Metric: String, CaseIterable, Codable, Sendable {
    case exactMatch = "exact_match", chrf, bleu, rougeL = "rouge_l", sari
    /// Of classification tasks: the predicted label against the reference label.
    case accuracy, macroF1 = "macro_f1"

    /// The column heading of reports.
    public var title: String {
        switch self {
        case .exactMatch: "exact match"
        case .chrf: "chrF"
        case .bleu: "BLEU"
        case .rougeL: "ROUGE-L"
        case .sari: "SARI"
        case .accuracy: "accuracy"
        case .macroF1: "macro-F1"
        }
    }

    /// `exact_match,chrf,...` as metrics, in the given order without repeats.
    public static func list(_ text: String) throws -> [Metric] {
        var metrics: [Metric] = []
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let metric = Metric(rawValue: name) else {
                throw EvalError.invalidArgument("unknown metric '\(name)'; choose from "
                    + allCases.map(\.rawValue).joined(separator: ", "))
            }
            if !metrics.contains(metric) { metrics.append(metric) }
        }
        guard !metrics.isEmpty else { throw EvalError.invalidArgument("no metrics given") }
        return metrics
    }
}

/// One metric's corpus score with its bootstrap interval, or why it could not be computed.
public struct MetricScore: Codable, Equatable, Sendable {
    public var metric: Metric
    /// 0-100; nil when the metric does not apply to the task (see `unavailable`).
    public var value: Double?
    /// The 95% percentile bootstrap interval over examples.
    public var lower: Double?
    public var upper: Double?
    public var unavailable: String?

    public init(metric: Metric, value: Double?, lower: Double? = nil, upper: Double? = nil, unavailable: String? = nil) {
        (self.metric, self.value, self.lower, self.upper, self.unavailable) = (metric, value, lower, upper, unavailable)
    }
}

public enum MetricSuite {
    /// Scores of `predictions[i]` against `references[i]` (SARI also against `sources[i]`),
    /// each with its bootstrap interval when `bootstrap` is given.
    public static func score(_ metrics: [Metric], predictions: [String], references: [[String]],
                             sources: [String?], bootstrap: Bootstrap? = Bootstrap()) -> [MetricScore] {
        metrics.map { metric in
            if metric == .sari, sources.contains(where: { $0 == nil }) {
                return MetricScore(metric: metric, value: nil,
                                   unavailable: "the task's records have no \"source\" or \"input\" field")
            }
            let rows = statistics(metric, predictions: predictions, references: references,
                                  sources: sources.map { $0 ?? "" })
            var total = [Double](repeating: 0, count: rows.first?.count ?? 1)
            for row in rows { for k in row.indices { total[k] += row[k] } }
            let value = aggregate(metric, total, rows.count)
            guard let bootstrap, !rows.isEmpty else { return MetricScore(metric: metric, value: value) }
            let interval = bootstrap.interval(rows) { aggregate(metric, $0, $1) }
            return MetricScore(metric: metric, value: value, lower: interval.lower, upper: interval.upper)
        }
    }

    /// One row of sufficient statistics per example.
    static func statistics(_ metric: Metric, predictions: [String], references: [[String]],
                           sources: [String]) -> [[Double]] {
        switch metric {
        case .exactMatch:
            return zip(predictions, references).map { [ExactMatch.matches($0, references: $1) ? 1 : 0] }
        case .chrf:
            return zip(predictions, references).map { CHRF.statistics($0, $1).map(Double.init) }
        case .bleu:
            return zip(predictions, references).map {
                let s = BLEU.statistics($0, references: $1)
                return ([s.hypothesisLength, s.referenceLength] + s.matches + s.totals).map(Double.init)
            }
        case .rougeL:
            return zip(predictions, references).map { [ROUGEL.bestFMeasure($0, references: $1)] }
        case .sari:
            return zip(zip(sources, predictions), references).map {
                [SARI.sentenceSARI(source: $0.0, prediction: $0.1, references: $1)]
            }
        case .accuracy: return ClassificationMetrics.accuracyStatistics(predictions: predictions, references: references)
        case .macroF1: return ClassificationMetrics.f1Statistics(predictions: predictions, references: references)
        }
    }

    /// The corpus score (0-100) of summed statistics over `count` examples, computed as each
    /// metric's `corpusScore` does.
    static func aggregate(_ metric: Metric, _ sum: [Double], _ count: Int) -> Double {
        guard count > 0 else { return 0 }
        switch metric {
        case .exactMatch: return 100 * sum[0] / Double(count)
        case .chrf: return CHRF.fScore(sum.map { Int($0) })
        case .bleu:
            let order = BLEU.maxOrder
            var stats = BLEU.Statistics(hypothesisLength: Int(sum[0]), referenceLength: Int(sum[1]))
            stats.matches = sum[2..<2 + order].map { Int($0) }
            stats.totals = sum[(2 + order)...].map { Int($0) }
            return BLEU.score(stats)
        case .rougeL: return sum[0] / Double(count) * 100
        case .sari: return 100 * (sum[0] / Double(count))
        case .accuracy: return 100 * sum[0] / Double(count)
        case .macroF1: return ClassificationMetrics.macroF1(sum)
        }
    }
}
