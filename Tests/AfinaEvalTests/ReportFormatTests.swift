// Side-by-side tables with intervals, the eval.md document, and the JSON of `afina eval --json`.
import Foundation
import XCTest
@testable import AfinaEval

final class ReportFormatTests: XCTestCase {
    let reports = [
        TaskReport(model: "smollm2-135m-instruct", count: 10,
                   scores: [MetricScore(metric: .exactMatch, value: 40, lower: 10, upper: 70),
                            MetricScore(metric: .chrf, value: 61.234, lower: 50.04, upper: 72.96)],
                   tokensPerSecond: 812.46, peakResidentBytes: 300 * 1_048_576),
        TaskReport(model: "tuned", count: 10,
                   scores: [MetricScore(metric: .exactMatch, value: 90, lower: 70, upper: 100),
                            MetricScore(metric: .chrf, value: 95, lower: 88, upper: 100)],
                   tokensPerSecond: 790, misses: [.init(prompt: "teh", prediction: "tha", references: ["the"])],
                   peakResidentBytes: 310 * 1_048_576),
    ]

    func testMarkdownTableHasAHeaderAndOneRowPerModelWithIntervals() {
        XCTAssertEqual(ReportFormat.table(reports, style: .markdown), """
            | model | exact match | chrF | tokens/s | peak RSS |
            | --- | ---: | ---: | ---: | ---: |
            | smollm2-135m-instruct | 40.0 [10.0, 70.0] | 61.2 [50.0, 73.0] | 812.5 | 300 MiB |
            | tuned | 90.0 [70.0, 100.0] | 95.0 [88.0, 100.0] | 790.0 | 310 MiB |

            """)
    }

    func testTerminalTableAlignsColumns() {
        let lines = ReportFormat.table(reports, style: .terminal).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(Set(lines.map(\.count)).count, 1, "every row is as wide as the header")
        XCTAssertTrue(lines[2].hasPrefix("tuned  "))
        XCTAssertTrue(lines[2].hasSuffix("790.0   310 MiB"), String(lines[2]))
    }

    func testUnavailableMetricsAndPerplexityGetTheirOwnCells() {
        var report = TaskReport(model: "m", count: 3, scores: [MetricScore(metric: .sari, value: nil, unavailable: "no sources")],
                                tokensPerSecond: 5)
        report.perplexity = PerplexityReport(sequences: 2, tokens: 40, meanNLL: log(12.5), tokensPerSecond: 100)
        XCTAssertEqual(ReportFormat.table([report], style: .markdown), """
            | model | SARI | perplexity | tokens/s |
            | --- | ---: | ---: | ---: |
            | m | n/a | 12.500 | 5.0 |

            """)
    }

    func testJSONListsEachModelWithItsMetrics() throws {
        let plain = TaskReport(model: "tuned", count: 10, scores: [MetricScore(metric: .exactMatch, value: 90),
                                                                   MetricScore(metric: .chrf, value: 95)],
                               tokensPerSecond: 790)
        XCTAssertEqual(try ReportFormat.json([plain]),
                       #"{"models":[{"examples":10,"metrics":{"chrf":95,"exact_match":90},"model":"tuned","tokens_per_second":790}]}"#)
        let object = try JSONSerialization.jsonObject(with: Data(try ReportFormat.json(reports).utf8)) as! [String: Any]
        let models = object["models"] as! [[String: Any]]
        XCTAssertEqual(models.map { $0["model"] as! String }, ["smollm2-135m-instruct", "tuned"])
        XCTAssertEqual(models[1]["metrics"] as! [String: Double], ["exact_match": 90, "chrf": 95])
        XCTAssertEqual(models[1]["intervals"] as! [String: [Double]], ["exact_match": [70, 100], "chrf": [88, 100]])
        XCTAssertEqual(models[1]["peak_rss_bytes"] as! Int, 310 * 1_048_576)
        XCTAssertEqual(models[1]["tokens_per_second"] as! Double, 790)
    }

    func testPerplexityOnlyJSONPutsPerplexityAmongTheMetrics() throws {
        var report = TaskReport(model: "m", count: 0, scores: [], tokensPerSecond: 0)
        report.perplexity = PerplexityReport(sequences: 2, tokens: 40, meanNLL: 2, tokensPerSecond: 100)
        let object = try JSONSerialization.jsonObject(with: Data(try ReportFormat.json([report]).utf8)) as! [String: Any]
        let model = (object["models"] as! [[String: Any]])[0]
        XCTAssertEqual((model["metrics"] as! [String: Double])["perplexity"]!, exp(2), accuracy: 1e-12)
        XCTAssertEqual(model["mean_nll"] as! Double, 2)
        XCTAssertEqual(model["perplexity_tokens"] as! Int, 40)
        XCTAssertEqual(model["tokens_per_second"] as! Double, 100)
        XCTAssertNil(model["examples"])
    }

    func testMarkdownDocumentNamesTheRunAndListsMisses() {
        let text = ReportFormat.markdownDocument(reports, context: .init(task: "data/t.jsonl", fewShot: 3, bootstrap: Bootstrap()))
        XCTAssertTrue(text.hasPrefix("# Evaluation\n\nTask: `data/t.jsonl`, 10 scored examples (the first 3 records were the few-shot examples).\n"), text)
        XCTAssertTrue(text.contains("95% percentile bootstrap intervals over examples (1000 resamples, seed 0)"), text)
        XCTAssertTrue(text.contains(ReportFormat.table(reports, style: .markdown)), text)
        XCTAssertTrue(text.contains("## First wrong answers of tuned\n\n| prompt | answer | expected |\n| --- | --- | --- |\n| teh | tha | the |\n"), text)
    }
}
