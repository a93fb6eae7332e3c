// RequestBodies (the fuzz target's way into the server's request checks): the same decoding
// and field errors the routes answer with, without a model.
import AfinaServing
import Foundation
import XCTest

final class RequestBodiesTests: XCTestCase {
    private func error(_ body: String, _ route: RequestBodies.Route) -> String? {
        do { try RequestBodies.check(Data(body.utf8), as: route); return nil } catch { return (error as? APIError)?.message ?? "\(error)" }
    }

    func testValidBodiesGiveTheirTexts() throws {
        XCTAssertEqual(try RequestBodies.check(Data(#"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]}"#.utf8),
                                               as: .chatCompletions), ["ab"])
        XCTAssertEqual(try RequestBodies.check(Data(#"{"model":"m","prompt":"Once"}"#.utf8), as: .completions), ["Once"])
        XCTAssertEqual(try RequestBodies.check(Data(#"{"model":"m","prompt":[1,2]}"#.utf8), as: .completions), [])
    }

    func testBadBodiesNameTheField() {
        let cases: [(String, RequestBodies.Route, String)] = [
            ("{", .chatCompletions, "not valid JSON"),
            (#"{"model":"m"}"#, .chatCompletions, "missing required field 'messages'"),
            (#"{"model":"m","messages":[],"top_logprobs":3}"#, .chatCompletions, "top_logprobs needs logprobs: true"),
            (#"{"model":"m","messages":[],"temperature":3}"#, .chatCompletions, "temperature must be between 0 and 2, got 3.0"),
            (#"{"model":"m","prompt":["a","b"]}"#, .completions, "prompt lists must hold exactly one prompt"),
            (#"{"model":"m","prompt":"a","n":99}"#, .completions, "n must be between 1 and 16, got 99"),
            (#"{"model":"m","prompt":"a","logprobs":6}"#, .completions, "logprobs must be between 0 and 5, got 6"),
        ]
        for (body, route, message) in cases {
            let found = error(body, route)
            XCTAssertTrue(found?.contains(message) == true, "\(body): \(found ?? "no error")")
        }
    }
}
