// Several task reports side by side: aligned terminal columns, a Markdown table or document,
// or the JSON that `afina eval --json` prints. Models are rows; each metric is a column with
// its bootstrap interval, then perplexity (when measured), tokens/s and peak memory.
import Foundation

public enum ReportFormat {
    public enum Style: Sendable { case markdown, terminal }

    /// What was evaluated, for the heading of a Markdown document.
    public struct Context: Sendable {
        public var task: String?
        public var perplexityFile: String?
        public var fewShot: Int
        public var bootstrap: Bootstrap?

        public init(task: String? = nil, perplexityFile: String? = nil, fewShot: Int = 0, bootstrap: Bootstrap? = nil) {
            (self.task, self.perplexityFile, self.fewShot, self.bootstrap) = (task, perplexityFile, fewShot, bootstrap)
        }
    }

    /// One row per report. A score reads `61.2 [55.0, 67.1]` (point estimate, 95% interval);
    /// `n/a` marks a metric the task cannot give (SARI without sources).
    public static func table(_ reports: [TaskReport], style: Style) -> String {
        var metrics: [Metric] = []
        for report in reports { for score in report.scores where !metrics.contains(score.metric) { metrics.append(score.metric) } }
        let hasPerplexity = reports.contains { $0.perplexity != nil }
        let hasMemory = reports.contains { $0.peakResidentBytes != nil }
        let header = ["model"] + metrics.map(\.title) + (hasPerplexity ? ["perplexity"] : []) + ["tokens/s"]
            + (hasMemory ? ["peak RSS"] : [])
        let rows = reports.map { report in
            [style == .markdown ? report.model.replacingOccurrences(of: "|", with: "\\|") : report.model]
                + metrics.map { cell(report[$0]) }
                + (hasPerplexity ? [report.perplexity.map { String(format: "%.3f", $0.perplexity) } ?? "-"] : [])
                + [String(format: "%.1f", report.perplexity != nil && report.count == 0
                          ? report.perplexity!.tokensPerSecond : report.tokensPerSecond)]
                + (hasMemory ? [report.peakResidentBytes.map(mebibytes) ?? "-"] : [])
        }
        switch style {
        case .markdown:
            let lines = [header, ["---"] + Array(repeating: "---:", count: header.count - 1)] + rows
            return lines.map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n") + "\n"
        case .terminal:
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            return ([header] + rows).map { row in
                row.indices.map { column in
                    let pad = String(repeating: " ", count: widths[column] - row[column].count)
                    return column == 0 ? row[column] + pad : pad + row[column]   // numbers right-aligned
                }.joined(separator: "  ")
            }.joined(separator: "\n") + "\n"
        }
    }

    static func cell(_ score: MetricScore?) -> String {
        guard let score else { return "-" }
        guard let value = score.value else { return "n/a" }
        guard let lower = score.lower, let upper = score.upper else { return String(format: "%.1f", value) }
        return String(format: "%.1f [%.1f, %.1f]", value, lower, upper)
    }

    static func mebibytes(_ bytes: Int) -> String { String(format: "%.0f MiB", Double(bytes) / 1_048_576) }

    /// `eval.md`: what was run, the table, and each model's first wrong answers.
    public static func markdownDocument(_ reports: [TaskReport], context: Context) -> String {
        var text = "# Evaluation\n\n"
        if let task = context.task {
            let count = reports.first?.count ?? 0
            text += "Task: `\(task)`, \(count) scored examples"
                + (context.fewShot > 0 ? " (the first \(context.fewShot) records were the few-shot examples)" : "") + ".\n"
        }
        if let file = context.perplexityFile {
            text += "Perplexity: `\(file)`"
            if let p = reports.first?.perplexity { text += ", \(p.tokens) target tokens in \(p.sequences) sequences" }
            text += ".\n"
        }
        if let b = context.bootstrap, context.task != nil {
            text += "Scores are 0-100 with \(Int((b.confidence * 100).rounded()))% percentile bootstrap intervals over "
                + "examples (\(b.resamples) resamples, seed \(b.seed)).\n"
        }
        if reports.contains(where: { $0.peakResidentBytes != nil }) {
            text += "Peak RSS is the process's high-water mark (VmHWM), reset before each model is loaded.\n"
        }
        text += "\n" + table(reports, style: .markdown)
        for report in reports {
            for score in report.scores { if let why = score.unavailable { text += "\n\(score.metric.title) n/a: \(why).\n" } }
        }
        for report in reports where !report.misses.isEmpty {
            text += "\n## First wrong answers of \(report.model)\n\n| prompt | answer | expected |\n| --- | --- | --- |\n"
            for miss in report.misses {
                let cells = [miss.prompt, miss.prediction, miss.references.joined(separator: " / ")].map {
                    $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
                }
                text += "| " + cells.joined(separator: " | ") + " |\n"
            }
        }
        return text
    }

    /// `{"models":[{"model":NAME,"metrics":{"exact_match":X,"chrf":X},"tokens_per_second":X}]}`,
    /// plus per model, when measured: `"intervals":{"chrf":[lo,hi]}`, `"examples"`,
    /// `"peak_rss_bytes"`, `"unavailable":{"sari":why}` and, with perplexity, `"perplexity"`
    /// among the metrics and `"mean_nll"`, `"perplexity_tokens"`. Keys sorted.
    public static func json(_ reports: [TaskReport], pretty: Bool = false) throws -> String {
        struct Model: Encodable {
            let model: String
            let metrics: [String: Double]
            let intervals: [String: [Double]]?
            let unavailable: [String: String]?
            let examples: Int?
            let tokens_per_second: Double
            let peak_rss_bytes: Int?
            let mean_nll: Double?
            let perplexity_tokens: Int?
        }
        struct Output: Encodable { let models: [Model] }
        let output = Output(models: reports.map { report in
            var metrics: [String: Double] = [:], intervals: [String: [Double]] = [:], unavailable: [String: String] = [:]
            for score in report.scores {
                if let value = score.value { metrics[score.metric.rawValue] = value }
                if let lower = score.lower, let upper = score.upper { intervals[score.metric.rawValue] = [lower, upper] }
                if let why = score.unavailable { unavailable[score.metric.rawValue] = why }
            }
            if let p = report.perplexity { metrics["perplexity"] = p.perplexity }
            let onlyPerplexity = report.perplexity != nil && report.count == 0
            return Model(model: report.model, metrics: metrics, intervals: intervals.isEmpty ? nil : intervals,
                         unavailable: unavailable.isEmpty ? nil : unavailable,
                         examples: report.count > 0 ? report.count : nil,
                         tokens_per_second: onlyPerplexity ? report.perplexity!.tokensPerSecond : report.tokensPerSecond,
                         peak_rss_bytes: report.peakResidentBytes, mean_nll: report.perplexity?.meanNLL,
                         perplexity_tokens: report.perplexity?.tokens)
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}
