// TemplateValue: JSON reading that keeps key order, and the values a caller passes in.
import AfinaTemplates
import XCTest

final class ChatTemplateValueTests: XCTestCase {
    func testJSONKeepsKeyOrderAndNumberKinds() throws {
        let value = try TemplateValue(json: #" {"z": 1, "a": [1.0, -2, 3e2, true, null, "\u00e9\ud83d\ude00\n"], "m": {}} "#)
        guard case .dictionary(let d) = value else { return XCTFail("not an object") }
        XCTAssertEqual(d.keys, ["z", "a", "m"])
        XCTAssertEqual(d["a"], [.double(1), .int(-2), .double(300), true, nil, "é😀\n"])
        let rendered = try ChatTemplate("{{ v | tojson }}").render(context: ["v": value])
        XCTAssertEqual(rendered, #"{"z": 1, "a": [1.0, -2, 300.0, true, null, "é😀\n"], "m": {}}"#)
    }

    func testInvalidJSONIsReportedWithItsOffset() {
        for text in ["", "{", "[1,]", #"{"a" 1}"#, "tru", #""\x""#, "1 2", "01.", #"{"a": 1,}"#] {
            XCTAssertThrowsError(try TemplateValue(json: text), text) { XCTAssertTrue($0 is TemplateJSONError) }
        }
        XCTAssertEqual((try? TemplateValue(json: "[1, }")) ?? nil, nil)
    }

    func testDictionaryLiteralsKeepOrderAndCompareLikePython() throws {
        let a: TemplateValue = ["b": 1, "a": 2]
        let b: TemplateValue = ["a": 2, "b": 1]
        XCTAssertEqual(a, b)
        XCTAssertEqual(try ChatTemplate("{{ x | tojson }} {{ x == y }}").render(context: ["x": a, "y": b]),
                       #"{"b": 1, "a": 2} True"#)
    }

    func testToolsAndDocumentsAreNoneUnlessGiven() throws {
        let template = try ChatTemplate("{{ tools is none }} {{ documents is none }} {{ tools is defined }} {{ add_generation_prompt }}")
        XCTAssertEqual(try template.render(messages: [], addGenerationPrompt: false), "True True True False")
        XCTAssertEqual(try template.render(conversation: [], addGenerationPrompt: true, tools: [["type": "function"]]),
                       "False True True True")
    }

    func testFloatsPrintAsPython() throws {
        let cases: [(Double, String)] = [(1, "1.0"), (0.1, "0.1"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
                                         (1e-5, "1e-05"), (0.0001, "0.0001"), (-0.0, "-0.0"), (1.5e300, "1.5e+300"),
                                         (123456.789, "123456.789"), (.infinity, "inf"), (.leastNonzeroMagnitude, "5e-324")]
        for (value, python) in cases {
            XCTAssertEqual(try ChatTemplate("{{ x }}").render(context: ["x": .double(value)]), python)
        }
    }
}
