// Several task reports side by side: a Markdown table, aligned terminal columns, or the
// JSON that `afina eval --json` prints.
import Foundation

public enum ReportFormat {
    public enum Style: Sendable { case markdown, terminal }

    static let header = ["model", "exact match", "chrF", "tokens/s"]

    /// One row per report: model, exact match, chrF, tokens/s.
    public static func table(_ reports: [TaskReport], style: Style) -> String {
        let rows = reports.map {
            [$0.model, String(format: "%.1f", $0.exactMatch), String(format: "%.1f", $0.chrf),
             String(format: "%.1f", $0.tokensPerSecond)]
        }
        switch style {
        case .markdown:
            let lines = [header, ["---", "---:", "---:", "---:"]] + rows
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

    /// `{"models":[{"model":NAME,"metrics":{"exact_match":X,"chrf":X},"tokens_per_second":X}]}`
    public static func json(_ reports: [TaskReport]) throws -> String {
        struct Metrics: Encodable { let exact_match: Double, chrf: Double }
        struct Model: Encodable { let model: String, metrics: Metrics, tokens_per_second: Double }
        struct Output: Encodable { let models: [Model] }
        let output = Output(models: reports.map {
            Model(model: $0.model, metrics: Metrics(exact_match: $0.exactMatch, chrf: $0.chrf),
                  tokens_per_second: $0.tokensPerSecond)
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}
