// Bad requests get an OpenAI-style 4xx and the server keeps serving; limits, API key,
// and a client that goes away mid-stream.
import Hummingbird
@testable import AfinaServing
import XCTest

final class RobustnessTests: XCTestCase {
    func testMalformedRequestsGetOpenAIErrorsAndTheServerKeepsServing() async throws {
        let network = try tinyLlama()   // 256 positions
        let longPrompt = String(repeating: "a", count: 300)
        let valid: [String: Any] = ["model": "tiny", "prompt": "hi", "max_tokens": 2]
        func with(_ changes: [String: Any]) -> [String: Any] { valid.merging(changes) { $1 } }
        let cases: [(name: String, body: Any, status: HTTPResponse.Status, param: String?)] = [
            ("unknown model", with(["model": "gpt-4"]), .notFound, "model"),
            ("missing model", ["prompt": "hi"], .badRequest, "model"),
            ("prompt longer than the context", with(["prompt": longPrompt]), .badRequest, "prompt"),
            ("negative max_tokens", with(["max_tokens": -5]), .badRequest, "max_tokens"),
            ("absurd max_tokens", with(["max_tokens": 10_000_000]), .badRequest, "max_tokens"),
            ("number past any integer (Foundation reports no field)", with(["max_tokens": 1e300]), .badRequest, nil),
            ("negative temperature", with(["temperature": -1]), .badRequest, "temperature"),
            ("top_p zero", with(["top_p": 0]), .badRequest, "top_p"),
            ("n zero", with(["n": 0]), .badRequest, "n"),
            ("too many logprobs", with(["logprobs": 50]), .badRequest, "logprobs"),
            ("wrong type", with(["temperature": "hot"]), .badRequest, "temperature"),
            ("empty stop", with(["stop": [""]]), .badRequest, "stop"),
            ("token id outside the vocabulary", with(["prompt": [1, 2, 100_000]]), .badRequest, "prompt"),
            ("empty prompt", with(["prompt": ""]), .badRequest, "prompt"),
        ]
        try await withLiveServer([byteServedModel(id: "tiny", network: network)]) { server in
            for c in cases {
                let reply = try await server.post("/v1/completions", c.body as! [String: Any])
                XCTAssertEqual(reply.status, c.status, "\(c.name): \(reply.body)")
                XCTAssertNotNil(reply.error["message"] as? String, c.name)
                XCTAssertNotNil(reply.error["type"] as? String, c.name)
                XCTAssertEqual(reply.error["param"] as? String, c.param, c.name)
            }
            let chatCases: [(String, String)] = [
                ("not JSON", "{\"model\": \"tiny\", "),
                ("not an object", "[1, 2, 3]"),
                ("no messages", "{\"model\": \"tiny\", \"messages\": []}"),
                ("message without role", "{\"model\": \"tiny\", \"messages\": [{\"content\": \"hi\"}]}"),
                ("top_logprobs without logprobs",
                 "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_logprobs\": 2}"),
            ]
            for (name, body) in chatCases {
                let reply = try await server.send(.post, "/v1/chat/completions", body: body)
                XCTAssertEqual(reply.status, .badRequest, "\(name): \(reply.body)")
                XCTAssertNotNil(reply.error["message"] as? String, name)
            }
            let fine = try await server.post("/v1/completions", valid)
            XCTAssertEqual(fine.status, .ok, fine.body)
            XCTAssertEqual(server.engine.statistics.failed, 0)
        }
    }

    func testBodyOverTheLimitGets413() async throws {
        let limits = RequestLimits(maxBodyBytes: 1000)
        try await withLiveServer([byteServedModel(id: "tiny", network: try tinyLlama())],
                                 server: ServerOptions(port: 0, limits: limits)) { server in
            let reply = try await server.post("/v1/completions", ["model": "tiny", "prompt": String(repeating: "a", count: 2000)])
            XCTAssertEqual(reply.status, .contentTooLarge)
            XCTAssertEqual(reply.error["code"] as? String, "request_too_large")
        }
    }

    func testFullQueueGets429() async throws {
        let model = byteServedModel(id: "slow", network: SlowAlphabetModel(delay: 0.02))
        try await withLiveServer([model], engine: EngineOptions(maxBatch: 1, maxQueue: 1)) { server in
            let long = jsonText(["model": "slow", "prompt": "a", "max_tokens": 40, "temperature": 0])
            async let running = server.send(.post, "/v1/completions", body: long)
            try await server.waitFor("a running sequence") { $0.running == 1 }
            async let waiting = server.send(.post, "/v1/completions", body: long)
            try await server.waitFor("a waiting sequence") { $0.waiting == 1 }
            let refused = try await server.send(.post, "/v1/completions", body: long)
            XCTAssertEqual(refused.status, .tooManyRequests)
            XCTAssertEqual(refused.error["code"] as? String, "queue_full")
            let (first, second) = try await (running, waiting)
            XCTAssertEqual(choiceText(first.json), String(repeating: "bcdefghijklmnopqrstuvwxyza", count: 2).prefix(40).description)
            XCTAssertEqual(second.status, .ok)
        }
    }

    func testAPIKeyIsCheckedOnV1RoutesOnly() async throws {
        let model = byteServedModel(id: "tiny", network: try tinyLlama())
        try await withLiveServer([model], server: ServerOptions(port: 0, apiKey: "sk-test-key")) { server in
            let request: [String: Any] = ["model": "tiny", "prompt": "hi", "max_tokens": 1]
            let missing = try await server.post("/v1/completions", request)
            XCTAssertEqual(missing.status, .unauthorized)
            XCTAssertEqual(missing.error["type"] as? String, "authentication_error")
            let wrong = try await server.send(.get, "/v1/models", headers: [.authorization: "Bearer sk-test-kez"])
            XCTAssertEqual(wrong.status, .unauthorized)
            let right = try await server.post("/v1/completions", request, headers: [.authorization: "Bearer sk-test-key"])
            XCTAssertEqual(right.status, .ok, right.body)
            let health = try await server.send(.get, "/health")
            XCTAssertEqual(health.status, .ok)
        }
    }

    func testClientLeavingMidStreamFreesItsSlot() async throws {
        let model = byteServedModel(id: "slow", network: SlowAlphabetModel(delay: 0.01))
        try await withLiveServer([model], engine: EngineOptions(maxBatch: 1)) { server in
            let body: [String: Any] = ["model": "slow", "prompt": "a", "max_tokens": 3000, "stream": true]
            let leaving = try await server.openStream("/v1/completions", body)
            try await server.waitFor("the stream to start") { $0.running == 1 }
            try await leaving.close()
            try await server.waitFor("the slot to be freed") { $0.running == 0 && $0.cancelled == 1 }
            // The only slot serves the next request.
            let next = try await server.post("/v1/completions", ["model": "slow", "prompt": "!", "max_tokens": 3])
            XCTAssertEqual(choiceText(next.json), "abc")
        }
    }

    func testKeysCompareEqualOnlyWhenIdentical() {
        func equal(_ a: String, _ b: String) -> Bool { constantTimeEqual(Array(a.utf8), Array(b.utf8)) }
        XCTAssertTrue(equal("secret", "secret"))
        XCTAssertFalse(equal("secret", "secreT"))
        XCTAssertFalse(equal("secret", "secret2"))
        XCTAssertFalse(equal("", "secret"))
    }
}
