// The pre-tokenizer scanners against the `tokenizers` regexes: random strings of tricky
// characters (pretokenizer_cases.json) and a few cases spelled out.
@testable import AfinaTokenizers
import Foundation
import XCTest

final class PreTokenizerTests: XCTestCase {
    private struct Case: Decodable {
        var text: String
        var gpt2: [String]
        var smollm: [String]
        var qwen2: [String]
        var llama3: [String]
    }

    private struct Cases: Decodable {
        var cases: [Case]
    }

    func testScannersMatchTheRegexesOnRandomStrings() throws {
        let data = try Data(contentsOf: Fixtures.folder.appendingPathComponent("pretokenizer_cases.json"))
        let cases = try JSONDecoder().decode(Cases.self, from: data).cases
        XCTAssertEqual(cases.count, 400)
        for c in cases {
            XCTAssertEqual(words(.gpt2, c.text), c.gpt2, "gpt2: \(c.text.debugDescription)")
            XCTAssertEqual(words(.smollm, c.text), c.smollm, "smollm: \(c.text.debugDescription)")
            XCTAssertEqual(words(.qwen2, c.text), c.qwen2, "qwen2: \(c.text.debugDescription)")
            XCTAssertEqual(words(.llama3, c.text), c.llama3, "llama3: \(c.text.debugDescription)")
        }
    }

    func testGPT2LeavesTheLastSpaceOfARunToTheNextWord() {
        XCTAssertEqual(plain(.gpt2, "a   b"), ["a", "  ", " b"])
        XCTAssertEqual(plain(.gpt2, "a   "), ["a", "   "])
        XCTAssertEqual(plain(.gpt2, "x\t\ty"), ["x", "\t", "\t", "y"])
    }

    func testGPT2ContractionsAreCaseSensitive() {
        XCTAssertEqual(plain(.gpt2, "we'll WE'LL"), ["we", "'ll", " WE", "'", "LL"])
    }

    func testSmolLMSplitsEveryDigitBeforeTheGPT2Rule() {
        XCTAssertEqual(plain(.smollm, "v12 ab"), ["v", "1", "2", " ab"])
        XCTAssertEqual(plain(.smollm, "a  1"), ["a", "  ", "1"], "the GPT-2 rule sees the text before a digit as ending there")
    }

    func testQwen2AttachesOnePunctuationCharacterToAWord() {
        XCTAssertEqual(plain(.qwen2, "(hello) WE'LL"), ["(hello", ")", " WE", "'LL"])
        XCTAssertEqual(plain(.qwen2, "x = 12345;\n\n  y"), ["x", " =", " ", "1", "2", "3", "4", "5", ";\n\n", " ", " y"])
        XCTAssertEqual(plain(.llama3, "12345"), ["123", "45"])
    }

    func testGGUFNamesMapToScanners() {
        XCTAssertEqual(PreTokenizer(ggufName: "smollm"), .smollm)
        XCTAssertEqual(PreTokenizer(ggufName: "qwen2"), .qwen2)
        XCTAssertEqual(PreTokenizer(ggufName: "llama-bpe"), .llama3)
        XCTAssertEqual(PreTokenizer(ggufName: "gpt-2"), .gpt2)
        XCTAssertNil(PreTokenizer(ggufName: "deepseek-llm"))
    }

    /// Words as plain text (not byte-level spelled).
    private func plain(_ preTokenizer: PreTokenizer, _ text: String) -> [String] {
        let scalars = ScalarText(text)
        return preTokenizer.split(scalars).map { String(decoding: scalars.bytes($0), as: UTF8.self) }
    }
}
