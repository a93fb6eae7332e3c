// SEAT's results (May et al. 2019) as JSON (`afina bias seat --json`) and as a Markdown table.
import Foundation

public struct SEATReport: Codable, Sendable, Equatable {
    public var tests: [SEATResult]

    public init(tests: [SEATResult]) { self.tests = tests }

    /// `{"tests":[{"name":..,"effect_size":..,"p_value":..,"targets":[X,Y],"attributes":[A,B],
    /// "target_sizes":[..],"attribute_sizes":[..],"partitions":..,"exact":..},..]}`, keys sorted.
    public func json(pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// One row per test, then a line on how to read it.
    public static func markdown(_ results: [SEATResult]) -> String {
        func escaped(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        func versus(_ names: [String], _ sizes: [Int]) -> String {
            zip(names, sizes).map { "\(escaped($0)) (\($1))" }.joined(separator: " vs ")
        }
        var lines = ["| test | targets X vs Y | attributes A vs B | effect size | p-value | partitions |",
                     "|---|---|---|---:|---:|---:|"]
        for r in results {
            lines.append("| \(escaped(r.name)) | \(versus(r.targets, r.targetSizes)) | "
                + "\(versus(r.attributes, r.attributeSizes)) | " + String(format: "%.3f | %.4g | ", r.effectSize, r.pValue)
                + "\(r.partitions) \(r.exact ? "(all)" : "(random)") |")
        }
        lines += ["", "Sentence counts in parentheses. Effect size: (mean s(X) - mean s(Y)) / std s(X u Y), with "
                  + "s(w) = mean cos(w, A) - mean cos(w, B); positive means X is closer to A and Y to B. p-value: the "
                  + "share of re-partitions of X u Y (all of them, or that many random ones) with an effect at least as large."]
        return lines.joined(separator: "\n") + "\n"
    }
}
