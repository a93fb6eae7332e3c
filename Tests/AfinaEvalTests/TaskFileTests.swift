// Task JSONL: the task shape, conversations and the training shapes, and errors that point
// at file:line.
import AfinaTemplates
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

    func testTrainingShapesUseTheirAnswerAsTheReference() throws {
        let examples = try parse("""
            {"prompt": "Fix: teh", "completion": "the"}
            {"instruction": "Correct the spelling.", "input": "recieve", "output": "receive"}
            {"instruction": "Say hi.", "output": "hi"}
            {"input": "wierd", "output": "weird"}
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello"}]}
            {"messages": [{"role": "user", "content": "Hi?"}], "reference": ["Hello", "Hi"]}
            {"prompt": "Fix: teh", "completion": "ignored", "reference": "the"}
            {"src": "Fix grammar: She go home.", "tgt": "She goes home."}
            """)
        XCTAssertEqual(examples.map(\.references), [["the"], ["receive"], ["hi"], ["weird"], ["Hello"], ["Hello", "Hi"], ["the"],
                                                     ["She goes home."]])
        XCTAssertEqual(examples[7].prompt, "Fix grammar: She go home.")
        XCTAssertEqual(examples[7].source, "Fix grammar: She go home.", "CoEdIT's src is SARI's source")
        XCTAssertEqual(examples[1].prompt, "Correct the spelling.\n\nrecieve", "as `afina train` renders Alpaca")
        XCTAssertEqual(examples[4].messages, [ChatMessage(role: "system", content: "Be brief."),
                                              ChatMessage(role: "user", content: "Hi?")])
        XCTAssertEqual(examples[4].prompt, "Hi?")
    }

    func testSourceIsTheSourceFieldElseTheInput() throws {
        let examples = try parse("""
            {"prompt": "Fix: teh", "reference": "the", "source": "teh"}
            {"instruction": "Fix the spelling.", "input": "recieve", "output": "receive"}
            {"prompt": "Fix: teh", "reference": "the"}
            """)
        XCTAssertEqual(examples.map(\.source), ["teh", "recieve", nil])
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
            ("{\"reference\": \"b\"}", "task.jsonl:1: missing \"prompt\" (or \"messages\", \"instruction\", \"input\", \"src\")"),
            ("{\"prompt\": \"a\", \"messages\": [], \"reference\": \"b\"}",
             "task.jsonl:1: keys of several prompt shapes (messages, prompt); use one"),
            ("{\"messages\": [{\"role\": \"user\"}], \"reference\": \"b\"}",
             "task.jsonl:1: messages[0] must be an object with string \"role\" and \"content\""),
            ("{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}",
             "task.jsonl:1: \"messages\" must end with a user turn (or a user turn and its assistant answer)"),
            ("{\"instruction\": \"a\", \"output\": 5}", "task.jsonl:1: \"output\" must be a string"),
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
