// The OpenAI routes on the tiny Llama: shapes, streaming, log-probabilities, model list.
import AfinaServing
import XCTest

final class CompletionRouteTests: XCTestCase {
    func served() throws -> [ServedModel] {
        let network = try tinyLlama()
        // Two ids over one network stand in for a base and an adapter: the list and the
        // routing by "model" are what is checked here.
        return [byteServedModel(id: "tiny", network: network), byteServedModel(id: "tiny-adapter", network: network)]
    }

    let chat: [String: Any] = ["model": "tiny", "messages": [["role": "user", "content": "Hello"]],
                               "max_tokens": 12, "temperature": 0]

    func testChatCompletionHasOpenAIShapeAndUsage() async throws {
        try await withLiveServer(served()) { [chat] server in
            let reply = try await server.post("/v1/chat/completions", chat)
            XCTAssertEqual(reply.status, .ok, reply.body)
            let json = reply.json
            XCTAssertEqual(json["object"] as? String, "chat.completion")
            XCTAssertEqual(json["model"] as? String, "tiny")
            XCTAssertTrue((json["id"] as? String)?.hasPrefix("chatcmpl-") ?? false)
            let choice = try XCTUnwrap((json["choices"] as? [[String: Any]])?.first)
            XCTAssertEqual((choice["message"] as? [String: Any])?["role"] as? String, "assistant")
            XCTAssertEqual(choice["finish_reason"] as? String, "length")
            XCTAssertTrue(choice["logprobs"] is NSNull)
            let usage = try XCTUnwrap(json["usage"] as? [String: Int])
            XCTAssertEqual(usage["prompt_tokens"], "user: Hello\nassistant:".utf8.count)
            XCTAssertEqual(usage["completion_tokens"], 12)
            XCTAssertEqual(usage["total_tokens"], usage["prompt_tokens"]! + 12)
        }
    }

    func testStreamedChatChunksJoinToTheWholeAnswerAndEndWithDone() async throws {
        try await withLiveServer(served()) { [chat] server in
            let whole = try await server.post("/v1/chat/completions", chat).json
            var streamed = chat
            streamed["stream"] = true
            streamed["stream_options"] = ["include_usage": true]
            let reply = try await server.post("/v1/chat/completions", streamed)
            XCTAssertEqual(reply.status, .ok)
            let payloads = eventPayloads(reply.body)
            XCTAssertEqual(payloads.last, "[DONE]")
            let chunks = payloads.dropLast().map(jsonObject)
            XCTAssertTrue(chunks.allSatisfy { $0["object"] as? String == "chat.completion.chunk" })
            let choices = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first }
            let deltas = choices.compactMap { $0["delta"] as? [String: Any] }
            XCTAssertEqual(deltas.first?["role"] as? String, "assistant")
            XCTAssertEqual(deltas.compactMap { $0["content"] as? String }.joined(), choiceText(whole))
            XCTAssertEqual(choices.last?["finish_reason"] as? String, "length")
            XCTAssertEqual((chunks.last?["usage"] as? [String: Int])?["completion_tokens"], 12)
        }
    }

    func testStreamedCompletionJoinsToTheWholeCompletion() async throws {
        try await withLiveServer(served()) { server in
            let request: [String: Any] = ["model": "tiny-adapter", "prompt": "Once upon", "max_tokens": 10, "temperature": 0]
            let whole = try await server.post("/v1/completions", request).json
            XCTAssertEqual(whole["object"] as? String, "text_completion")
            XCTAssertEqual(whole["model"] as? String, "tiny-adapter")
            var streamed = request
            streamed["stream"] = true
            let payloads = eventPayloads(try await server.post("/v1/completions", streamed).body)
            XCTAssertEqual(payloads.last, "[DONE]")
            let texts = payloads.dropLast().map(jsonObject).compactMap(choiceText)
            XCTAssertEqual(texts.joined(), choiceText(whole))
        }
    }

    func testLogprobsListEveryTokenWithTheAskedAlternatives() async throws {
        try await withLiveServer(served()) { [chat] server in
            var request = chat
            request["logprobs"] = true
            request["top_logprobs"] = 3
            let reply = try await server.post("/v1/chat/completions", request)
            let choice = try XCTUnwrap((reply.json["choices"] as? [[String: Any]])?.first)
            let content = try XCTUnwrap((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
            XCTAssertEqual(content.count, 12)
            for entry in content {
                let top = try XCTUnwrap(entry["top_logprobs"] as? [[String: Any]])
                XCTAssertEqual(top.count, 3)
                let values = top.compactMap { $0["logprob"] as? Double }
                XCTAssertEqual(values, values.sorted(by: >))
                // Greedy: the chosen token is the most likely one.
                XCTAssertEqual(entry["logprob"] as? Double, values[0])
                XCTAssertLessThanOrEqual(values[0], 0)
            }
            XCTAssertEqual(content.compactMap { $0["token"] as? String }.joined(),
                           (choice["message"] as? [String: Any])?["content"] as? String)

            let text = try await server.post("/v1/completions", ["model": "tiny", "prompt": "abc", "max_tokens": 4,
                                                                 "temperature": 0, "logprobs": 2]).json
            let logprobs = try XCTUnwrap((text["choices"] as? [[String: Any]])?.first?["logprobs"] as? [String: Any])
            XCTAssertEqual((logprobs["tokens"] as? [String])?.count, 4)
            XCTAssertEqual((logprobs["token_logprobs"] as? [Double])?.count, 4)
            XCTAssertEqual((logprobs["top_logprobs"] as? [[String: Double]])?.map(\.count), [2, 2, 2, 2])
        }
    }

    func testModelListHoldsTheBaseAndEachAdapter() async throws {
        try await withLiveServer(served()) { server in
            let json = try await server.send(.get, "/v1/models").json
            XCTAssertEqual(json["object"] as? String, "list")
            XCTAssertEqual((json["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, ["tiny", "tiny-adapter"])
            let health = try await server.send(.get, "/health")
            XCTAssertEqual(health.status, .ok)
            XCTAssertEqual(health.json["status"] as? String, "ok")
        }
    }

    func testSixteenConcurrentGreedyRequestsAnswerAsEachAlone() async throws {
        let prompts = (0..<16).map { "Prompt number \($0) " + String(repeating: "x", count: $0 * 3) }
        try await withLiveServer(served()) { server in
            func complete(_ prompt: String) async throws -> String {
                let reply = try await server.post("/v1/completions", ["model": "tiny", "prompt": prompt,
                                                                      "max_tokens": 24, "temperature": 0])
                return try XCTUnwrap(choiceText(reply.json), reply.body)
            }
            var alone: [String] = []
            for prompt in prompts { alone.append(try await complete(prompt)) }
            let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (i, prompt) in prompts.enumerated() { group.addTask { (i, try await complete(prompt)) } }
                var texts = Array(repeating: "", count: prompts.count)
                for try await (i, text) in group { texts[i] = text }
                return texts
            }
            XCTAssertEqual(together, alone)
            XCTAssertGreaterThan(server.engine.statistics.peakRunning, 4, "the requests should have been batched")
            XCTAssertEqual(Set(alone).count, 16, "distinct prompts should give distinct answers")
        }
    }

    func testRequestsForDifferentModelsRunTogetherEachOnItsOwnModel() async throws {
        let models = [byteServedModel(id: "tiny", network: try tinyLlama()),
                      byteServedModel(id: "alphabet", network: SlowAlphabetModel(delay: 0))]
        try await withLiveServer(models) { server in
            func complete(_ model: String, _ prompt: String) async throws -> String? {
                choiceText(try await server.post("/v1/completions", ["model": model, "prompt": prompt,
                                                                     "max_tokens": 6, "temperature": 0]).json)
            }
            let tinyAlone = try await complete("tiny", "shared batch")
            let answers = try await withThrowingTaskGroup(of: (String, String?).self) { group in
                for i in 0..<8 {
                    group.addTask { i % 2 == 0 ? ("tiny", try await complete("tiny", "shared batch"))
                                               : ("alphabet", try await complete("alphabet", "w")) }
                }
                return try await group.reduce(into: [(String, String?)]()) { $0.append($1) }
            }
            for (model, text) in answers {
                XCTAssertEqual(text, model == "tiny" ? tinyAlone : "xyzabc", model)
            }
        }
    }
}
