// The server over the real SmolLM2-135M-Instruct (Q4_1), when pulled: the same greedy answers
// as `afina generate`, and the same when 16 requests share the batch.
import AfinaModels
import AfinaServing
import XCTest

final class SmolLM2ServingTests: XCTestCase {
    func testSmolLM2ChatAnswersAsTheGeneratorDoes() async throws {
        let loaded = try smolLM2()
        let question = "What is the capital of France?"
        let expected = try Generator(model: loaded.model, decode: { loaded.tokenizer.decode($0) }).generate(
            [GenerationRequest(prompt: try loaded.chatPrompt(user: question), maxTokens: 16, stopTokens: loaded.stopTokens)])[0]
        try await withLiveServer([ServedModel(id: "smollm2", loaded: loaded)], engine: EngineOptions(contextLength: 512)) { server in
            let reply = try await server.post("/v1/chat/completions", [
                "model": "smollm2", "messages": [["role": "user", "content": question]], "max_tokens": 16, "temperature": 0])
            XCTAssertEqual(choiceText(reply.json), expected.text, reply.body)
            XCTAssertEqual((reply.json["usage"] as? [String: Int])?["completion_tokens"], expected.ids.count)
        }
    }

    func testSmolLM2SixteenConcurrentGreedyRequestsAnswerAsEachAlone() async throws {
        let loaded = try smolLM2()
        let topics = ["rain", "bread", "Mars", "music", "sleep", "rivers", "bees", "chess",
                      "snow", "tea", "trains", "owls", "glass", "salt", "maps", "kites"]
        try await withLiveServer([ServedModel(id: "smollm2", loaded: loaded)], engine: EngineOptions(contextLength: 512)) { server in
            func ask(_ topic: String) async throws -> String {
                let reply = try await server.post("/v1/chat/completions", [
                    "model": "smollm2", "messages": [["role": "user", "content": "Say one fact about \(topic)."]],
                    "max_tokens": 8, "temperature": 0])
                return try XCTUnwrap(choiceText(reply.json), reply.body)
            }
            var alone: [String] = []
            for topic in topics { alone.append(try await ask(topic)) }
            let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (i, topic) in topics.enumerated() { group.addTask { (i, try await ask(topic)) } }
                var texts = Array(repeating: "", count: topics.count)
                for try await (i, text) in group { texts[i] = text }
                return texts
            }
            XCTAssertEqual(together, alone)
            XCTAssertGreaterThan(server.engine.statistics.peakRunning, 4, "the requests should have been batched")
        }
    }
}
