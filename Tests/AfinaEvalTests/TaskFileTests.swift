// Task JSONL: strings or lists as references, and errors that point at file:line.
import Foundation
import XCTest
@testable import AfinaEval

final class TaskFileTests: XCTestCase {
    func parse(_ text: String) throws -> [TaskExample] {
        try TaskFile.parse(Data(text.utf8), path: "task.jsonl")
    }

    func testReferenceMayBeAStringOrAListAndBlankLinesAreSkipped() throws {
        let examples = try parse("""
            {"prompt": "Capital of France?", "reference": "Paris", "id": 7}

            {"prompt": "2+2?", "reference": ["4", "four"]}
            """)
        XCTAssertEqual(examples, [TaskExample(prompt: "Capital of France?", references: ["Paris"]),
                                  TaskExample(prompt: "2+2?", references: ["4", "four"])])
    }

    func testMalformedLinesAreReportedAsFileLineWhat() {
        let cases = [
            ("{\"prompt\": \"a\", \"reference\": \"b\"}\n{oops", "task.jsonl:2: not valid JSON"),
            ("[1, 2]", "task.jsonl:1: expected a JSON object"),
            ("{\"prompt\": 3, \"reference\": \"b\"}", "task.jsonl:1: \"prompt\" must be a string"),
            ("{\"prompt\": \"a\"}", "task.jsonl:1: missing \"reference\""),
            ("\n\n{\"prompt\": \"a\", \"reference\": []}",
             "task.jsonl:3: \"reference\" must be a string or a non-empty list of strings"),
            ("{\"prompt\": \"a\", \"reference\": [\"x\", 1]}",
             "task.jsonl:1: \"reference\" must be a string or a non-empty list of strings"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try parse(text), message) { XCTAssertEqual("\($0)", message) }
        }
    }

    func testLoadingAnEmptyFileIsAnError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("afina-empty-\(UUID().uuidString).jsonl")
        try Data("\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try TaskFile.load(url.path)) { XCTAssertEqual($0 as? EvalError, .emptyTask(path: url.path)) }
        XCTAssertThrowsError(try TaskFile.load("/nonexistent/task.jsonl"))
    }
}
