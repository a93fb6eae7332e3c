// loss.svg: well-formed XML, one polyline point per finite loss, no crash on 0 or 1 points.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import AfinaTraining

final class LossChartTests: XCTestCase {
    func parse(_ svg: String) throws -> XMLDocument {
        try XMLDocument(data: Data(svg.utf8))
    }

    func polylinePoints(_ document: XMLDocument, _ series: String) throws -> [String] {
        let nodes = try document.nodes(forXPath: "//*[local-name()='polyline'][@class='\(series)']")
        guard let element = nodes.first as? XMLElement else { return [] }
        // attribute(forName:) misses attributes under a default namespace in corelibs-foundation.
        let points = element.attributes?.first { $0.name == "points" }?.stringValue ?? ""
        return points.split(separator: " ").map(String.init)
    }

    func testChartHasOnePolylinePointPerFiniteLossAndALegend() throws {
        var records = (1...40).map { MetricsRecord(step: $0, split: .train, loss: 3 / Double($0).squareRoot()) }
        records.append(MetricsRecord(step: 41, split: .train, loss: .nan))
        records += [10, 20, 30].map { MetricsRecord(step: $0, split: .validation, loss: 1.2) }
        let svg = LossChart.svg(records, title: "SmolLM2 <LoRA> & more")
        let document = try parse(svg)
        XCTAssertEqual(try polylinePoints(document, "train").count, 40)
        XCTAssertEqual(try polylinePoints(document, "validation").count, 3)
        XCTAssertEqual(document.rootElement()?.name, "svg")
        XCTAssertTrue(svg.contains("SmolLM2 &lt;LoRA&gt; &amp; more"))
        XCTAssertTrue(svg.contains(">train</text>") && svg.contains(">validation</text>"))
    }

    func testEmptyAndSinglePointChartsAreStillWellFormed() throws {
        let empty = try parse(LossChart.svg([]))
        XCTAssertTrue(try polylinePoints(empty, "train").isEmpty)
        let single = try parse(LossChart.svg([MetricsRecord(step: 1, split: .train, loss: 2)]))
        XCTAssertEqual(try polylinePoints(single, "train").count, 1)
        XCTAssertEqual(try single.nodes(forXPath: "//*[local-name()='circle']").count, 1, "a lone point gets a dot")
    }

}
