// Bad templates and refused conversations: every failure is a ChatTemplateError with the
// place in the template, never a crash.
import AfinaTemplates
import XCTest

final class ChatTemplateErrorTests: XCTestCase {
    private func error(parsing source: String, file: StaticString = #filePath, line: UInt = #line) -> ChatTemplateError? {
        do {
            _ = try ChatTemplate(source)
            XCTFail("expected a syntax error for \(source.debugDescription)", file: file, line: line)
        } catch let error as ChatTemplateError {
            XCTAssertEqual(error.kind, .syntax, "\(error)", file: file, line: line)
            return error
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: line)
        }
        return nil
    }

    private func error(rendering source: String, _ context: [String: TemplateValue] = [:], maxSteps: Int = ChatTemplate.defaultMaxSteps,
                       file: StaticString = #filePath, line: UInt = #line) -> ChatTemplateError? {
        do {
            let output = try ChatTemplate(source, maxSteps: maxSteps).render(context: context)
            XCTFail("expected an error, rendered \(output.debugDescription)", file: file, line: line)
        } catch let error as ChatTemplateError {
            return error
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: line)
        }
        return nil
    }

    func testUnclosedTagReportsWhereItOpened() {
        let e = error(parsing: "Hello\n  {{ name ")
        XCTAssertEqual(e?.line, 2)
        XCTAssertEqual(e?.column, 3)
        XCTAssertEqual(e?.message, "missing '}}' to close the tag opened here")
        XCTAssertEqual(error(parsing: "{% if x ")?.message, "missing '%}' to close the tag opened here")
        XCTAssertEqual(error(parsing: "a {# note")?.message, "missing '#}' to close the comment")
    }

    func testUnclosedBlockNamesTheBlockAndItsEndTag() {
        let e = error(parsing: "{% for m in messages %}\n{{ m }}\n")
        XCTAssertEqual(e?.message, "unexpected end of template: the 'for' block opened at line 1 is never closed (expected 'endfor' or 'else')")
        XCTAssertEqual(error(parsing: "{% if a %}{% endfor %}")?.message,
                       "unexpected 'endfor': the innermost open block is 'if' from line 1, which expects 'elif', 'else' or 'endif'")
    }

    func testUnknownFilterAndTestAreRejectedWhenParsing() {
        let e = error(parsing: "ok\n{{ messages | frobnicate }}")
        XCTAssertEqual(e?.message, "No filter named 'frobnicate'.")
        XCTAssertEqual(e?.line, 2)
        XCTAssertEqual(e?.column, 15)
        XCTAssertEqual(error(parsing: "{{ x is shiny }}")?.message, "No test named 'shiny'.")
        XCTAssertEqual(error(parsing: "{% if x %}{% for i in x %}{{ i | frobnicate }}{% endfor %}{% endif %}")?.message,
                       "No filter named 'frobnicate'.")
    }

    func testJinjaFiltersNotImplementedHereFailOnlyWhenRun() throws {
        let template = try ChatTemplate("{% for m in messages %}{{ m | batch(2) }}{% endfor %}done")
        XCTAssertEqual(try template.render(context: ["messages": []]), "done")
        XCTAssertThrowsError(try template.render(context: ["messages": ["a"]])) { error in
            XCTAssertEqual((error as? ChatTemplateError)?.message, "the 'batch' filter is not supported")
        }
    }

    func testMalformedTemplatesThrowSyntaxErrors() {
        for source in ["{% endif %}", "{% if %}{% endif %}", "{{ }}", "{{ 'abc }}", "{% for x in %}{% endfor %}",
                       "{{ a.( }}", "{% frobnicate %}", "{% raw %}never closed", "{{ (1 }}", "{{ 1 ] }}", "{{ 1 ! 2 }}",
                       "{% set %}", "{% macro %}{% endmacro %}", "{% break %}", "{{ a b }}", "{{ f(x=1, 2) }}",
                       "{{ '\\x4' }}", "{% include 'other.jinja' %}", "{% for x in y recursive %}{% endfor %}",
                       "{% call foo %}{% endcall %}", "{{ x[] }}", "{{ {'a' 1} }}", "{% if a %}{% else %}{% else %}{% endif %}"] {
            _ = error(parsing: source)
        }
    }

    func testRaiseExceptionSurfacesTheTemplateMessage() {
        let e = error(rendering: "line one\n{{ raise_exception('Only ' ~ n ~ ' roles are supported!') }}", ["n": 2])
        XCTAssertEqual(e?.kind, .raised)
        XCTAssertEqual(e?.message, "Only 2 roles are supported!")
        XCTAssertEqual(e?.line, 2)
        XCTAssertEqual(e?.description, "chat template line 2, column 4: raise_exception: Only 2 roles are supported!")
    }

    func testMistralRefusesRolesThatDoNotAlternate() throws {
        let root = try ChatFixtures.load("models.json")
        let source = try XCTUnwrap(root["templates"]?.asDictionary?["mistral"]?.asDictionary?["source"]?.asString)
        let template = try ChatTemplate(source)
        let extra: [String: TemplateValue] = ["bos_token": "<s>", "eos_token": "</s>"]
        let good = [ChatMessage(role: "user", content: "Hi"), ChatMessage(role: "assistant", content: "Hello"),
                    ChatMessage(role: "user", content: "Bye")]
        XCTAssertEqual(try template.render(messages: good, addGenerationPrompt: true, extra: extra),
                       "<s>[INST] Hi [/INST]Hello</s> [INST] Bye [/INST]")
        let bad = [ChatMessage(role: "user", content: "Hi"), ChatMessage(role: "user", content: "Again")]
        XCTAssertThrowsError(try template.render(messages: bad, addGenerationPrompt: true, extra: extra)) { error in
            XCTAssertEqual((error as? ChatTemplateError)?.kind, .raised)
            XCTAssertEqual((error as? ChatTemplateError)?.message, "Conversation roles must alternate user/assistant/user/assistant/...")
        }
    }

    func testRuntimeErrorsPointAtTheExpression() {
        let e = error(rendering: "{% for m in messages %}\n  {{ m.content.upper() + 1 }}\n{% endfor %}",
                      ["messages": [["role": "user", "content": "hi"]]])
        XCTAssertEqual(e?.kind, .runtime)
        XCTAssertEqual(e?.message, "unsupported operand type(s) for +: 'str' and 'int'")
        XCTAssertEqual(e?.line, 2)
        XCTAssertEqual(error(rendering: "{{ messages[0].role }}")?.message, "'messages' is undefined")
        XCTAssertEqual(error(rendering: "{{ 'a' | tojson(indent='x', nope=1) }}")?.message,
                       "tojson() got an unexpected keyword argument 'nope'")
    }

    func testHugeRangesAreRefusedAsInJinjasSandbox() {
        XCTAssertEqual(error(rendering: "{{ range(10000000000000) | length }}")?.message,
                       "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).")
        XCTAssertEqual(try ChatTemplate("{{ range(100000) | length }} {{ range(5, -5, -3) | list }}").render(context: [:]),
                       "100000 [5, 2, -1, -4]")
    }

    func testRunawayRecursionFailsInsteadOfCrashing() {
        let e = error(rendering: "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
        XCTAssertEqual(e?.kind, .runtime)
        XCTAssertTrue(e?.message.hasPrefix("template recursion too deep") ?? false, "\(String(describing: e))")
    }

    func testDeepNestingIsRejectedWhenParsing() {
        let parentheses = "{{ " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000) + " }}"
        XCTAssertTrue(error(parsing: parentheses)?.message.hasPrefix("template nests too deeply") ?? false)
        let chain = "{{ 1" + String(repeating: " + 1", count: 10_000) + " }}"
        XCTAssertTrue(error(parsing: chain)?.message.hasPrefix("template nests too deeply") ?? false)
        let blocks = String(repeating: "{% if true %}", count: 5_000) + String(repeating: "{% endif %}", count: 5_000)
        XCTAssertTrue(error(parsing: blocks)?.message.hasPrefix("template nests too deeply") ?? false)
        XCTAssertEqual(try ChatTemplate("{{ ((((1 + 2) * 3) - 4) // 2) }}").render(context: [:]), "2")
    }

    // MARK: Bounds on one render (a template arrives inside a downloaded model file)

    private func assertRefused(_ source: String, _ prefix: String, maxSteps: Int = ChatTemplate.defaultMaxSteps,
                               file: StaticString = #filePath, line: UInt = #line) {
        let e = error(rendering: source, maxSteps: maxSteps, file: file, line: line)
        XCTAssertEqual(e?.kind, .runtime, file: file, line: line)
        XCTAssertTrue(e?.message.hasPrefix(prefix) ?? false, "\(String(describing: e))", file: file, line: line)
    }

    func testDoublingAStringStopsAtTheSizeLimit() {
        assertRefused("{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
                      "a string of 33554432 bytes is larger than a template may build")
        assertRefused("{% for i in range(60) %}{{ 'x' * 1000000 }}{% endfor %}", "a string of")
        assertRefused("{{ 'abc' * 1000000000000 }}", "a string of 1000000000000 repetitions")
        assertRefused("{{ [1, 2] * 1000000000000 }}", "a list of 1000000000000 repetitions")
        assertRefused("{% set ns = namespace(l=[0]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
                      "a list of 2097152 items")
        assertRefused("{{ 'a\\nb' | indent(1000000000000) }}", "an indent of 1000000000000 repetitions")
    }

    func testEndlessLoopsStopAtTheStepLimit() throws {
        let loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
        assertRefused(loops, "template runs too long (more than 100000 steps)", maxSteps: 100_000)
        // Lists that calls and filters build count one step per item.
        assertRefused("{% for i in range(100000) %}{{ range(100000) | map('string') | list | length }}{% endfor %}",
                      "template runs too long", maxSteps: 1_000_000)
        let short = "{% for i in range(3) %}{{ i }}{% endfor %}"
        XCTAssertEqual(try ChatTemplate(short, maxSteps: 100).render(context: [:]), "012")
        assertRefused(short, "template runs too long", maxSteps: 5)
    }
}
