// Tokenized examples and their answer-only loss mask, checked against transformers'
// assistant-token mask for SmolLM2 (Tests/Fixtures/data/smollm2_examples.json).
import AfinaData
import AfinaTemplates
import Foundation
import XCTest

final class ExampleRendererTests: XCTestCase {
    private func renderer(template: String?, maxLength: Int = 1024) throws -> ExampleRenderer {
        try ExampleRenderer(tokenizer: try Fixtures.smollm2Tokenizer(), chatTemplate: template, maxLength: maxLength)
    }

    func testSmolLM2MaskMatchesTransformersAssistantTokensMask() throws {
        let fixture = try Fixtures.smollm2Examples()
        let renderer = try renderer(template: fixture.template)
        XCTAssertEqual(fixture.conversations.count, 2)
        for (name, conversation) in fixture.conversations {
            let example = try renderer.example(.messages(conversation.chatMessages))
            XCTAssertEqual(example.tokens, conversation.ids, name)
            XCTAssertEqual(example.targets, conversation.targets, name)
        }
        // Two turns: each answer is its word and <|im_end|> (id 2), not the newline after it.
        let twoTurns = try XCTUnwrap(fixture.conversations["two_turns"])
        let example = try renderer.example(.messages(twoTurns.chatMessages))
        XCTAssertEqual(zip(example.tokens, example.targets).filter(\.1).map(\.0), [47696, 2, 1195, 2])
    }

    func testTokensBeforeTheAnswerAreTheInferencePrompt() throws {
        let fixture = try Fixtures.smollm2Examples()
        let tokenizer = try Fixtures.smollm2Tokenizer()
        let user = "Correct the spelling of this word: recieve"
        let example = try renderer(template: fixture.template).example(
            .messages([ChatMessage(role: "user", content: user), ChatMessage(role: "assistant", content: "receive")]))
        let firstTarget = try XCTUnwrap(example.targets.firstIndex(of: true))
        let promptText = try ChatTemplate(fixture.template).render(
            messages: [ChatMessage(role: "user", content: user)], addGenerationPrompt: true,
            extra: ["bos_token": .string("<|im_start|>"), "eos_token": .string("<|im_end|>")])
        XCTAssertEqual(Array(example.tokens[..<firstTarget]), tokenizer.encode(promptText, addSpecial: false))
        XCTAssertEqual(Array(example.tokens[..<firstTarget]), try XCTUnwrap(fixture.conversations["two_turns"]).firstPromptIDs)
        XCTAssertEqual(tokenizer.decode(Array(example.tokens[firstTarget...])), "receive<|im_end|>\n")
        XCTAssertEqual(example.targets[firstTarget...].filter { $0 }.count, example.tokens.count - firstTarget - 1)
    }

    func testShotsComeAfterTheSystemTurnWithoutLossAndKeepTheAnswerTokens() throws {
        let template = try Fixtures.smollm2Examples().template
        let tokenizer = try Fixtures.smollm2Tokenizer()
        let shot = [ChatMessage(role: "user", content: "Correct: teh"), ChatMessage(role: "assistant", content: "the")]
        let own = [ChatMessage(role: "system", content: "Be brief."), ChatMessage(role: "user", content: "Correct: recieve"),
                   ChatMessage(role: "assistant", content: "receive")]
        let plain = try renderer(template: template).example(.messages(own))
        let prompted = try ExampleRenderer(tokenizer: tokenizer, chatTemplate: template, maxLength: 1024, shots: shot)
            .example(.messages(own))
        XCTAssertEqual(prompted, try renderer(template: template).example(
            .messages([own[0]] + shot + own.dropFirst())).withTargets(only: plain.targetCount))
        func answer(_ e: TokenizedExample) -> [Int32] { zip(e.tokens, e.targets).filter(\.1).map(\.0) }
        XCTAssertEqual(answer(prompted), answer(plain))
        XCTAssertEqual(tokenizer.decode(answer(prompted)), "receive<|im_end|>")
    }

    func testTextGetsLossOnEveryTokenAfterTheFirstAndEndsWithEOS() throws {
        let renderer = try renderer(template: nil)
        for text in try Fixtures.smollm2Examples().texts {
            let example = try renderer.example(.text(text.text))
            XCTAssertEqual(example.tokens, text.ids)
            XCTAssertEqual(example.targets, [false] + Array(repeating: true, count: text.ids.count - 1))
        }
    }

    func testWithoutTemplatePromptAndCompletionAreJoinedWithLossOnTheCompletion() throws {
        let tokenizer = try Fixtures.smollm2Tokenizer()
        let example = try renderer(template: nil).example(
            .messages([ChatMessage(role: "user", content: "2+2="), ChatMessage(role: "assistant", content: "4")]))
        let prompt = tokenizer.encode("2+2=", addSpecial: false), answer = tokenizer.encode("4", addSpecial: false) + [2]
        XCTAssertEqual(example.tokens, prompt + answer)
        XCTAssertEqual(example.targets, Array(repeating: false, count: prompt.count) + Array(repeating: true, count: answer.count))
    }

    func testWithoutEOSTextAndCompletionsEndWhereTheirContentEnds() throws {
        let tokenizer = try Fixtures.smollm2Tokenizer()
        let renderer = try ExampleRenderer(tokenizer: tokenizer, chatTemplate: nil, maxLength: 1024, appendEOS: false)
        let name = try renderer.example(
            .messages([ChatMessage(role: "user", content: "Today the CEO,"), ChatMessage(role: "assistant", content: " Susan")]))
        let prompt = tokenizer.encode("Today the CEO,", addSpecial: false), answer = tokenizer.encode(" Susan", addSpecial: false)
        XCTAssertEqual(answer.count, 1)
        XCTAssertEqual(name.tokens, prompt + answer)
        XCTAssertEqual(name.targets, Array(repeating: false, count: prompt.count) + [true])
        let text = try renderer.example(.text("Today the CEO, Susan, went home."))
        XCTAssertEqual(text.tokens, tokenizer.encode("Today the CEO, Susan, went home."))
        XCTAssertEqual(text.targets, [false] + Array(repeating: true, count: text.tokens.count - 1))
    }

    func testTruncationKeepsTheBeginningAndDropsExamplesWithoutAnswer() throws {
        let template = try Fixtures.smollm2Examples().template
        let records: [TrainingRecord] = [
            .text("one two three four five six seven eight"),
            .messages([ChatMessage(role: "user", content: "a long question " + String(repeating: "word ", count: 40)),
                       ChatMessage(role: "assistant", content: "yes")]),
            .text("short"),
        ]
        let full = try renderer(template: template).render(records)
        let rendered = try renderer(template: template, maxLength: 6).render(records)
        XCTAssertEqual(rendered.truncated, 1)
        XCTAssertEqual(rendered.dropped, 1)
        XCTAssertEqual(rendered.examples, [
            TokenizedExample(tokens: Array(full.examples[0].tokens.prefix(6)), targets: [false] + Array(repeating: true, count: 5)),
            full.examples[2],
        ])
    }

    func testAFileErrorNamesTheLineWhenTheTemplateCannotBeMasked() throws {
        // The generation prompt says "ASSISTANT:" but a rendered turn does not: no prefix to train on.
        let template = "{% for m in messages %}{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}"
        let file = try Fixtures.temporaryDirectory().appendingPathComponent("train.jsonl")
        try Data("{\"text\": \"fine\"}\n\n{\"prompt\": \"hi\", \"completion\": \"there\"}\n".utf8).write(to: file)
        XCTAssertThrowsError(try renderer(template: template).render(file: file)) { error in
            XCTAssertEqual("\(error)", "\(file.path):3: assistant turn 1: the chat template's generation prompt is not how "
                + "it renders the start of that turn, so training would not match inference")
        }
    }

    func testATemplateExceptionBecomesARecordError() throws {
        let template = "{{ raise_exception('Conversation roles must alternate') }}"
        XCTAssertThrowsError(try renderer(template: template).example(
            .messages([ChatMessage(role: "user", content: "hi"), ChatMessage(role: "assistant", content: "yo")]))) { error in
            XCTAssertTrue("\(error)".hasPrefix("the chat template cannot render this conversation: "), "\(error)")
            XCTAssertTrue("\(error)".contains("Conversation roles must alternate"), "\(error)")
        }
    }

    func testRenderingAFileKeepsRecordOrder() throws {
        let file = try Fixtures.temporaryDirectory().appendingPathComponent("train.jsonl")
        try Data("{\"text\": \"first\"}\n{\"text\": \"second\"}\n".utf8).write(to: file)
        let tokenizer = try Fixtures.smollm2Tokenizer()
        let rendered = try renderer(template: nil).render(file: file)
        XCTAssertEqual(rendered.examples.map { tokenizer.decode($0.tokens) }, ["first<|im_end|>", "second<|im_end|>"])
    }

    func testMaxLengthBelowTwoIsRejected() {
        XCTAssertThrowsError(try renderer(template: nil, maxLength: 1)) { error in
            XCTAssertEqual("\(error)", "max_length must be at least 2 tokens, got 1")
        }
    }
}

private extension TokenizedExample {
    /// This example with loss on its last `count` target tokens only.
    func withTargets(only count: Int) -> TokenizedExample {
        var kept = 0, targets = self.targets
        for i in targets.indices.reversed() where targets[i] {
            if kept == count { targets[i] = false } else { kept += 1 }
        }
        return TokenizedExample(tokens: tokens, targets: targets)
    }
}
