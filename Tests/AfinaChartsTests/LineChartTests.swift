// LineChart: axis ticks, the log axis, levels and interval bars in the SVG, and the JSONL
// points of `afina chart` with their errors (file and line).
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import AfinaCharts

final class LineChartTests: XCTestCase {
    func testAxisTicksAreRoundNumbersCoveringTheData() {
        let axis = ChartAxis([0.83, 2.91])
        XCTAssertEqual(axis.low, 0.5, accuracy: 1e-12)
        XCTAssertEqual(axis.high, 3, accuracy: 1e-12)
        XCTAssertEqual(axis.ticks.map(axis.format), ["0.5", "1.0", "1.5", "2.0", "2.5", "3.0"])
    }

    func testLogAxisSpansWholeDecadesLabelledWithSeparators() throws {
        let chart = LineChart(title: "curve", xLabel: "examples", yLabel: "accuracy",
                              series: [.init(name: "tuned", color: "#000", points: [.init(x: 2400, y: 80), .init(x: 106_996, y: 95)])],
                              logX: true)
        let svg = chart.svg()
        for label in [">1,000<", ">10,000<", ">100,000<", ">1,000,000<"] { XCTAssertTrue(svg.contains(label), label) }
        XCTAssertFalse(svg.contains(">10,000,000<"))
        XCTAssertEqual(LineChart.grouped(999), "999")
        XCTAssertEqual(LineChart.grouped(1_234_567), "1,234,567")
    }

    func testLevelsIntervalsAndLegendAreDrawn() throws {
        let (series, levels) = try LineChart.data(jsonl: """
            {"series": "MiniLM tuned", "x": 2400, "y": 80, "low": 77.5, "high": 82.5}
            {"series": "Qwen 1.5B, 4-shot", "y": 70, "low": 67, "high": 73}

            {"series": "MiniLM tuned", "x": 40000, "y": 94, "low": 92.5, "high": 95.5}
            """, source: "points.jsonl")
        XCTAssertEqual(series.map(\.name), ["MiniLM tuned"])
        XCTAssertEqual(series[0].points.map(\.x), [2400, 40000])
        XCTAssertEqual(levels.map(\.name), ["Qwen 1.5B, 4-shot"])
        let svg = LineChart(title: "t", xLabel: "x", yLabel: "y", series: series, levels: levels, logX: true, legendAtBottom: true).svg()
        let document = try XMLDocument(data: Data(svg.utf8))
        XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='line'][@class='level']").count, 1)
        XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='circle']").count, 2)
        XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='rect'][@fill-opacity]").count, 1, "the level's band")
        XCTAssertTrue(svg.contains(">Qwen 1.5B, 4-shot</text>") && svg.contains(">MiniLM tuned</text>"))
    }

    func testBadPointsNameTheFileAndLine() {
        for (text, message) in [
            ("{\"series\": \"a\", \"x\": 1, \"y\": 2}\n[1]", "points.jsonl:2: not a JSON object"),
            ("{\"x\": 1, \"y\": 2}", "points.jsonl:1: missing \"series\" (a string)"),
            ("{\"series\": \"a\", \"x\": 1}", "points.jsonl:1: missing \"y\" (a number)"),
            ("{\"series\": \"a\", \"x\": \"1\", \"y\": 2}", "points.jsonl:1: \"x\" is not a number"),
            ("{\"series\": \"a\", \"x\": 1, \"y\": true}", "points.jsonl:1: \"y\" is not a number"),
            ("{\"series\": \"a\", \"x\": 1, \"y\": 2, \"low\": 1}", "points.jsonl:1: give both \"low\" and \"high\", or neither"),
            ("{\"series\": \"a\", \"y\": 2}\n{\"series\": \"a\", \"y\": 3}", "points.jsonl:2: a appears twice without \"x\" (a level is one number)"),
        ] {
            XCTAssertThrowsError(try LineChart.data(jsonl: text, source: "points.jsonl")) { XCTAssertEqual("\($0)", message) }
        }
    }
}
