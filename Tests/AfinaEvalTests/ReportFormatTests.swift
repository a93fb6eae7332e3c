// Side-by-side tables and the JSON of `afina eval --json`.
import Foundation
import XCTest
@testable import AfinaEval

final class ReportFormatTests: XCTestCase {
    let reports = [
        TaskReport(model: "smollm2-135m-instruct", count: 10, exactMatch: 40, chrf: 61.234, tokensPerSecond: 812.46,
                   misses: []),
        TaskReport(model: "tuned", count: 10, exactMatch: 90, chrf: 95, tokensPerSecond: 790, misses: []),
    ]

    func testMarkdownTableHasAHeaderAndOneRowPerModel() {
        XCTAssertEqual(ReportFormat.table(reports, style: .markdown), """
            | model | exact match | chrF | tokens/s |
            | --- | ---: | ---: | ---: |
            | smollm2-135m-instruct | 40.0 | 61.2 | 812.5 |
            | tuned | 90.0 | 95.0 | 790.0 |

            """)
    }

    func testTerminalTableAlignsColumns() {
        let lines = ReportFormat.table(reports, style: .terminal).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(Set(lines.map(\.count)).count, 1, "every row is as wide as the header")
        XCTAssertTrue(lines[2].hasPrefix("tuned  "))
        XCTAssertTrue(lines[2].hasSuffix("790.0"))
    }

    func testJSONListsEachModelWithItsMetrics() throws {
        let json = try ReportFormat.json([reports[1]])
        XCTAssertEqual(json, #"{"models":[{"metrics":{"chrf":95,"exact_match":90},"model":"tuned","tokens_per_second":790}]}"#)
    }
}
