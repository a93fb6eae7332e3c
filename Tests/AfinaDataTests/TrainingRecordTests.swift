// JSONL record shapes and the errors malformed records give.
import AfinaData
import AfinaTemplates
import Foundation
import XCTest

final class TrainingRecordTests: XCTestCase {
    private func parse(_ text: String) throws -> [TrainingRecord] {
        try TrainingRecord.parse(jsonl: Data(text.utf8), file: "data.jsonl")
    }

    func testEachShapeBecomesARecordAndBlankLinesAreSkipped() throws {
        let records = try parse("""
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}

            {"prompt": "2+2=", "completion": "4", "id": 7}
            {"instruction": "Translate", "input": "chat", "output": "cat"}
            {"instruction": "Say yes", "input": "", "output": "yes"}
            {"instruction": "Say no", "output": "no"}
            {"input": "She go home.", "output": "She goes home."}
            {"src": "Fix grammar: She go home.", "tgt": "She goes home.", "task": "gec"}
              \r
            {"text": "Once upon a time"}
            """)
        func chat(_ user: String, _ answer: String) -> TrainingRecord {
            .messages([ChatMessage(role: "user", content: user), ChatMessage(role: "assistant", content: answer)])
        }
        XCTAssertEqual(records, [
            .messages([ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Hi"),
                       ChatMessage(role: "assistant", content: "Hello")]),
            chat("2+2=", "4"), chat("Translate\n\nchat", "cat"), chat("Say yes", "yes"), chat("Say no", "no"),
            chat("She go home.", "She goes home."), chat("Fix grammar: She go home.", "She goes home."),
            .text("Once upon a time"),
        ])
    }

    func testMalformedRecordsNameTheFileLineAndProblem() {
        let cases: [(String, String)] = [
            ("{\"text\": \"ok\"}\n{\"text\": ", "data.jsonl:2: invalid JSON"),
            ("[1, 2]", "data.jsonl:1: expected a JSON object"),
            ("{\"id\": 1, \"answer\": \"b\"}", "data.jsonl:1: unknown record shape (keys: answer, id); expected \"messages\", \"prompt\"+\"completion\", \"instruction\"+\"output\", \"input\"+\"output\", \"src\"+\"tgt\" or \"text\""),
            ("\n\n{}", "data.jsonl:3: unknown record shape (an empty object); expected \"messages\", \"prompt\"+\"completion\", \"instruction\"+\"output\", \"input\"+\"output\", \"src\"+\"tgt\" or \"text\""),
            ("{\"prompt\": \"a\"}", "data.jsonl:1: missing \"completion\""),
            ("{\"prompt\": \"a\", \"completion\": 3}", "data.jsonl:1: \"completion\" must be a string"),
            ("{\"prompt\": \"a\", \"completion\": \"\"}", "data.jsonl:1: \"completion\" is empty"),
            ("{\"text\": \"\"}", "data.jsonl:1: \"text\" is empty"),
            ("{\"text\": \"a\", \"prompt\": \"b\"}", "data.jsonl:1: keys of several record shapes (prompt/completion, text); use one"),
            ("{\"messages\": []}", "data.jsonl:1: \"messages\" is empty"),
            ("{\"messages\": {\"role\": \"user\"}}", "data.jsonl:1: \"messages\" must be an array"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
             "data.jsonl:1: no assistant turn in \"messages\" (nothing to learn)"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": [\"hi\"]}]}", "data.jsonl:1: messages[0].content must be a string"),
            ("{\"messages\": [{\"content\": \"hi\"}]}", "data.jsonl:1: messages[0].role must be a string"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"\"}]}",
             "data.jsonl:1: messages[1] is an empty assistant turn"),
            ("{\"instruction\": \"a\", \"input\": 1, \"output\": \"b\"}", "data.jsonl:1: \"input\" must be a string"),
            ("{\"input\": \"\", \"output\": \"b\"}", "data.jsonl:1: missing \"instruction\""),
            ("{\"src\": \"a\"}", "data.jsonl:1: missing \"tgt\""),
            ("{\"src\": \"a\", \"tgt\": \"\"}", "data.jsonl:1: \"tgt\" is empty"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertEqual("\(error)", expected)
            }
        }
    }

    func testLoadingAMissingFileSaysSo() {
        XCTAssertThrowsError(try TrainingRecord.load(from: URL(fileURLWithPath: "/nonexistent/afina.jsonl"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/afina.jsonl: cannot read"), "\(error)")
        }
    }
}
