// Real chat templates (SmolLM2, Qwen2.5 with tools, Llama 3 and 3.2, Mistral, Zephyr, Gemma)
// and one-feature templates, rendered here and by transformers' Jinja environment
// (Tests/Fixtures/chat, written by scripts/make_chat_fixtures.py): outputs must be equal.
import AfinaTemplates
import Foundation
import XCTest

enum ChatFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/chat")

    /// A fixture file read with key order kept (tool schemas print in that order).
    static func load(_ name: String) throws -> TemplateDictionary {
        let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        guard case .dictionary(let root) = try TemplateValue(json: text) else { throw FixtureError("\(name): not an object") }
        return root
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

extension TemplateValue {
    var asString: String? { if case .string(let s) = self { s } else { nil } }
    var asArray: [TemplateValue]? { if case .array(let a) = self { a } else { nil } }
    var asDictionary: TemplateDictionary? { if case .dictionary(let d) = self { d } else { nil } }
}

final class ChatTemplateFixtureTests: XCTestCase {
    /// Where two renderings first differ, with some context, for a readable failure.
    private func firstDifference(_ a: String, _ b: String) -> String {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        let i = (0..<min(x.count, y.count)).first { x[$0] != y[$0] } ?? min(x.count, y.count)
        func around(_ s: [Unicode.Scalar]) -> String {
            String(String.UnicodeScalarView(s[max(0, i - 30)..<min(s.count, i + 30)])).debugDescription
        }
        return "first difference at scalar \(i): expected \(around(x)), got \(around(y))"
    }

    func testModelTemplatesRenderExactlyAsTransformers() throws {
        let root = try ChatFixtures.load("models.json")
        let templates = try XCTUnwrap(root["templates"]?.asDictionary)
        var parsed: [String: ChatTemplate] = [:]
        for (name, entry) in templates.entries {
            parsed[name] = try ChatTemplate(XCTUnwrap(entry.asDictionary?["source"]?.asString))
        }
        let cases = try XCTUnwrap(root["cases"]?.asArray)
        XCTAssertGreaterThan(cases.count, 100)
        for item in cases {
            let c = try XCTUnwrap(item.asDictionary)
            let label = "\(c["template"]!.asString!)/\(c["name"]!.asString!) add_generation_prompt=\(c["add_generation_prompt"]!)"
            let template = try XCTUnwrap(parsed[c["template"]!.asString!])
            var extra: [String: TemplateValue] = [:]
            for (key, value) in c["kwargs"]?.asDictionary?.entries ?? [] { extra[key] = value }
            let addGenerationPrompt = c["add_generation_prompt"] == .bool(true)
            let render = {
                try template.render(conversation: c["messages"]!.asArray!, addGenerationPrompt: addGenerationPrompt,
                                    tools: c["tools"]?.asArray, extra: extra)
            }
            if let expected = c["expected"]?.asString {
                do {
                    let output = try render()
                    XCTAssertEqual(output, expected, "\(label): \(firstDifference(expected, output))")
                } catch {
                    XCTFail("\(label): \(error)")
                }
            } else {
                XCTAssertThrowsError(try render(), label) { error in
                    let error = error as? ChatTemplateError
                    XCTAssertEqual(error?.kind, .raised, label)
                    XCTAssertEqual(error?.message, c["error"]?.asString, label)
                }
            }
        }
    }

    func testPlainMessagesRenderLikeTheirDictionaries() throws {
        let root = try ChatFixtures.load("models.json")
        let templates = try XCTUnwrap(root["templates"]?.asDictionary)
        var checked = 0
        for item in try XCTUnwrap(root["cases"]?.asArray) {
            let c = try XCTUnwrap(item.asDictionary)
            guard let expected = c["expected"]?.asString, c["tools"] == .null else { continue }
            let messages = try c["messages"]!.asArray!.map { value -> ChatMessage? in
                let m = try XCTUnwrap(value.asDictionary)
                guard m.keys == ["role", "content"], let content = m["content"]?.asString else { return nil }
                return ChatMessage(role: m["role"]!.asString!, content: content)
            }
            guard !messages.contains(where: { $0 == nil }) else { continue }
            var extra: [String: TemplateValue] = [:]
            for (key, value) in c["kwargs"]?.asDictionary?.entries ?? [] { extra[key] = value }
            let template = try ChatTemplate(XCTUnwrap(templates[c["template"]!.asString!]?.asDictionary?["source"]?.asString))
            let output = try template.render(messages: messages.compactMap { $0 },
                                             addGenerationPrompt: c["add_generation_prompt"] == .bool(true), extra: extra)
            XCTAssertEqual(output, expected, "\(c["template"]!.asString!)/\(c["name"]!.asString!)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 80)
    }

    func testFeatureTemplatesRenderExactlyAsJinja() throws {
        let root = try ChatFixtures.load("features.json")
        var context: [String: TemplateValue] = [:]
        for (key, value) in try XCTUnwrap(root["context"]?.asDictionary).entries { context[key] = value }
        for item in try XCTUnwrap(root["cases"]?.asArray) {
            let c = try XCTUnwrap(item.asDictionary)
            let name = c["name"]!.asString!
            let source = c["template"]!.asString!
            if let expected = c["expected"]?.asString {
                do {
                    let output = try ChatTemplate(source).render(context: context)
                    XCTAssertEqual(output, expected, "\(name): \(firstDifference(expected, output))")
                } catch {
                    XCTFail("\(name): \(error)")
                }
            } else {
                XCTAssertThrowsError(try ChatTemplate(source).render(context: context), name) { error in
                    XCTAssertEqual((error as? ChatTemplateError)?.message, c["error"]?.asString, name)
                }
            }
        }
    }
}
