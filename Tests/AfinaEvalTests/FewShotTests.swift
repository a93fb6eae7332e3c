// Few-shot: the first N records become solved turns before every other prompt and are not scored.
import AfinaTemplates
import XCTest
@testable import AfinaEval

final class FewShotTests: XCTestCase {
    let task = [TaskExample(prompt: "teh", references: ["the", "The"]),
                TaskExample(prompt: "recieve", references: ["receive"]),
                TaskExample(prompt: "wierd", references: ["weird"], source: "wierd"),
                TaskExample(messages: [ChatMessage(role: "system", content: "Fix spelling."),
                                       ChatMessage(role: "user", content: "adress")], references: ["address"])]

    func testShotsPrecedeEachPromptAndAreNotScored() throws {
        let scored = try FewShot.apply(2, to: task)
        XCTAssertEqual(scored.map(\.prompt), ["wierd", "adress"])
        XCTAssertEqual(scored.map(\.references), [["weird"], ["address"]])
        XCTAssertEqual(scored[0].source, "wierd")
        let shots = [ChatMessage(role: "user", content: "teh"), ChatMessage(role: "assistant", content: "the"),
                     ChatMessage(role: "user", content: "recieve"), ChatMessage(role: "assistant", content: "receive")]
        XCTAssertEqual(scored[0].messages, shots + [ChatMessage(role: "user", content: "wierd")])
        XCTAssertEqual(scored[1].messages, [ChatMessage(role: "system", content: "Fix spelling.")] + shots
                       + [ChatMessage(role: "user", content: "adress")], "a system turn stays first")
    }

    func testZeroShotsLeavesTheTaskAloneAndTooManyIsAnError() throws {
        XCTAssertEqual(try FewShot.apply(0, to: task), task)
        XCTAssertThrowsError(try FewShot.apply(4, to: task)) {
            XCTAssertTrue("\($0)".contains("leaves nothing to score"), "\($0)")
        }
    }

    func testTheModelSeesTheShotsInItsPrompt() throws {
        // The counting model continues the last letter: "ab" + "c" -> prompt "abc" answers "d".
        let letters = Array("abcdefgh")
        var seen: [String] = []
        let examples = try FewShot.apply(1, to: [TaskExample(prompt: "a", references: ["b"]),
                                                 TaskExample(prompt: "c", references: ["d"])])
        let report = try TaskEvaluator.evaluate(
            CountingModel(), name: "counting", on: examples, options: TaskOptions(maxTokens: 1),
            encodePrompt: { text in seen.append(text); return text.map { Int32(letters.firstIndex(of: $0)!) } },
            decode: { String($0.map { letters[Int($0)] }) }, stopTokens: [7])
        XCTAssertEqual(seen, ["abc"])
        XCTAssertEqual(report.count, 1)
        XCTAssertEqual(report.exactMatch, 100)
    }
}
