// Tokenizers from GGUF metadata: the real SmolLM2 and Qwen2.5 files against the same
// expected ids as the tokenizer.json fixtures (skipped where the file is not pulled), and
// small hand-written metadata for the errors.
import AfinaFormats
import AfinaTokenizers
import Foundation
import XCTest

final class GGUFTokenizerTests: XCTestCase {
    private func checkAgainstFixture(_ model: String) throws -> Tokenizer {
        guard let url = try Fixtures.cachedGGUF(model) else {
            throw XCTSkip("\(model) GGUF is not in the model cache (run `afina pull`)")
        }
        let tokenizer = try Tokenizer(gguf: try GGUFFile(url: url))
        for c in try Fixtures.expected(model).cases {
            XCTAssertEqual(tokenizer.encode(c.text), c.ids, "\(model): \(c.text.debugDescription)")
            XCTAssertEqual(tokenizer.decode(c.ids), c.decoded, model)
            XCTAssertEqual(tokenizer.decode(c.ids, skipSpecial: true), c.decodedSkipSpecial, model)
        }
        return tokenizer
    }

    func testSmolLM2GGUFGivesTheSameIdsAsTransformers() throws {
        let tokenizer = try checkAgainstFixture("smollm2")
        XCTAssertEqual(tokenizer.preTokenizer, .smollm)
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        XCTAssertEqual([tokenizer.bosID, tokenizer.eosID, tokenizer.padID, tokenizer.unknownID], [1, 2, 2, 0])
        XCTAssertFalse(tokenizer.addBOS)
        XCTAssertEqual(tokenizer.specialIDs, Array(0...16))
    }

    func testQwen2GGUFGivesTheSameIdsAsTransformers() throws {
        let tokenizer = try checkAgainstFixture("qwen2")
        XCTAssertEqual(tokenizer.preTokenizer, .qwen2)
        XCTAssertEqual(tokenizer.vocabularySize, 151936, "the GGUF pads the vocabulary to the embedding size")
        XCTAssertEqual(tokenizer.bosID, 151643, "the GGUF names <|endoftext|> as BOS but does not add it")
        XCTAssertFalse(tokenizer.addBOS)
        XCTAssertEqual(tokenizer.eosID, 151645)
        XCTAssertTrue(tokenizer.isSpecial(151644))
        XCTAssertFalse(tokenizer.isSpecial(151657), "<tool_call> is user-defined: matched whole, not special")
    }

    // MARK: Hand-written metadata

    /// Bytes "a" "b" "c" and "<|end|>", merges "a b" then "ab c".
    private func metadata(model: String = "gpt2", pre: String? = "qwen2", types: [Int32] = [1, 1, 1, 1, 1, 3]) -> GGUFTokenizerMetadata {
        GGUFTokenizerMetadata(model: model, pre: pre, tokens: ["a", "b", "c", "ab", "abc", "<|end|>"], tokenTypes: types,
                              merges: ["a b", "ab c"], bosID: 5, eosID: 5, addBOS: true)
    }

    func testControlTokensAreMatchedAndSpecial() throws {
        let tokenizer = try Tokenizer(ggufMetadata: metadata())
        XCTAssertEqual(tokenizer.encode("abc<|end|>ab"), [5, 4, 5, 3])
        XCTAssertEqual(tokenizer.encode("abc<|end|>", addSpecial: false), [4, 5])
        XCTAssertEqual(tokenizer.specialIDs, [5])
        XCTAssertEqual(tokenizer.decode([4, 5, 3], skipSpecial: true), "abcab")
    }

    func testUnknownPreTokenizerIsRejectedNamingIt() {
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: metadata(pre: "deepseek-llm"), source: "m.gguf")) { error in
            XCTAssertTrue("\(error)".contains("m.gguf: unsupported tokenizer.ggml.pre 'deepseek-llm'"), "\(error)")
        }
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: metadata(pre: nil))) { error in
            XCTAssertEqual(error as? TokenizerError, .missing(source: "GGUF", key: "tokenizer.ggml.pre"))
        }
    }

    func testUnknownTokenizerModelIsRejectedNamingIt() {
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: metadata(model: "rwkv"), source: "m.gguf")) { error in
            XCTAssertTrue("\(error)".contains("m.gguf: unsupported tokenizer.ggml.model 'rwkv'"), "\(error)")
        }
    }

    func testMistypedKeyIsNamed() {
        let values: [String: GGUFValue] = [
            "tokenizer.ggml.model": .string("gpt2"), "tokenizer.ggml.tokens": .array([.string("a")]),
            "tokenizer.ggml.merges": .uint32(3),
        ]
        XCTAssertThrowsError(try GGUFTokenizerMetadata(metadata: values, source: "x.gguf")) { error in
            XCTAssertEqual(error as? TokenizerError, .missing(source: "x.gguf", key: "tokenizer.ggml.merges"))
        }
    }

    func testTokenTypeCountMustMatchTokens() {
        XCTAssertThrowsError(try Tokenizer(ggufMetadata: metadata(types: [1, 1])))
    }
}
