// An encoder-decoder served beside a decoder: the tiny T5 v1.1 (scripts/make_t5_fixtures.py)
// with its Unigram tokenizer answers completions as `Generator` does, several at once
// (continuous batching puts each input in its own cache slot), and its chat route is refused
// clearly (T5 has no chat template).
import AfinaServing
import AfinaTokenizers
import Foundation
import XCTest
@testable import AfinaModels

final class Seq2SeqServingTests: XCTestCase {
    func loaded() throws -> LoadedModel {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afina-t5-serve-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (folder, file) in [("models/t5-v1_1", "config.json"), ("models/t5-v1_1", "model.safetensors"),
                               ("tokenizer/t5", "tokenizer.json")] {
            try FileManager.default.copyItem(at: fixtureRoot.appendingPathComponent("\(folder)/\(file)"),
                                             to: directory.appendingPathComponent(file))
        }
        return try ModelLoader.load(directory.path)
    }

    func testCompletionsAreGreedyGenerationOfTheInputAndChatIsRefused() async throws {
        let t5 = try loaded()
        XCTAssertTrue(t5.model is T5)
        let prompts = ["Fix the grammar: she go to school every days.", "Paraphrase: the weather is nice today.",
                       "Translate English to German: The house is wonderful."]
        let expected = try Generator(model: t5.model, decode: { t5.tokenizer.decode($0) })
            .generate(prompts.map { GenerationRequest(prompt: t5.tokenizer.encode($0), maxTokens: 10, stopTokens: t5.stopTokens) })
            .map(\.text)
        try await withLiveServer([ServedModel(id: "t5", loaded: t5), byteServedModel(id: "tiny", network: try tinyLlama())]) { server in
            let texts = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (i, prompt) in prompts.enumerated() {
                    group.addTask {
                        let reply = try await server.post("/v1/completions",
                                                          ["model": "t5", "prompt": prompt, "max_tokens": 10, "temperature": 0])
                        XCTAssertEqual(reply.status, .ok, reply.body)
                        return (i, choiceText(reply.json) ?? "")
                    }
                }
                var texts = [String](repeating: "", count: prompts.count)
                for try await (i, text) in group { texts[i] = text }
                return texts
            }
            XCTAssertEqual(texts, expected)
            let chat = try await server.post("/v1/chat/completions",
                                             ["model": "t5", "messages": [["role": "user", "content": "Hi"]], "max_tokens": 4])
            XCTAssertEqual(chat.status, .badRequest)
            XCTAssertTrue(chat.body.contains("no chat template"), chat.body)
        }
    }
}
