// Loading small tokenizer.json documents written here: merge spellings, post-processors,
// tokenizer_config.json overrides, added token options, and the errors bad files give.
import AfinaTokenizers
import Foundation
import XCTest

final class TokenizerLoadingTests: XCTestCase {
    /// The 256 byte characters (ids 0...255), "he" 256, "ll" 257, "hell" 258, "hello" 259, "abc" 260,
    /// "ab" 261, then the added tokens.
    private static let byteAlphabet: [String] = {
        var next: UInt32 = 256
        return (0..<256).map { byte in
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            defer { if !printable { next += 1 } }
            return String(Unicode.Scalar(printable ? UInt32(byte) : next)!)
        }
    }()

    private func document(merges: Any = ["h e", "l l", "he ll", "hell o", "a b"],
                          model: [String: Any] = [:],
                          preTokenizer: Any = ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
                          postProcessor: Any = NSNull(),
                          addedTokens: [[String: Any]] = [],
                          drop key: String? = nil) throws -> Data {
        var vocab = Dictionary(uniqueKeysWithValues: Self.byteAlphabet.enumerated().map { ($1, $0) })
        for (i, token) in ["he", "ll", "hell", "hello", "abc", "ab"].enumerated() { vocab[token] = 256 + i }
        var modelObject: [String: Any] = ["type": "BPE", "vocab": vocab, "merges": merges]
        modelObject.merge(model) { $1 }
        var object: [String: Any] = [
            "model": modelObject, "added_tokens": addedTokens, "normalizer": NSNull(),
            "pre_tokenizer": preTokenizer, "post_processor": postProcessor, "decoder": ["type": "ByteLevel"],
        ]
        if let key { object[key] = nil }
        return try JSONSerialization.data(withJSONObject: object)
    }

    private func added(_ content: String, _ id: Int, special: Bool = true, lstrip: Bool = false,
                       rstrip: Bool = false, singleWord: Bool = false) -> [String: Any] {
        ["id": id, "content": content, "special": special, "lstrip": lstrip, "rstrip": rstrip,
         "single_word": singleWord, "normalized": false]
    }

    private func config(_ fields: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: fields)
    }

    // MARK: Loading

    func testMergesWrittenAsStringsOrPairsLoadTheSame() throws {
        let joined = try Tokenizer(tokenizerJSON: try document())
        let pairs = try Tokenizer(tokenizerJSON: try document(merges: [["h", "e"], ["l", "l"], ["he", "ll"], ["hell", "o"], ["a", "b"]]))
        XCTAssertEqual(joined.encode("hello"), [259])
        XCTAssertEqual(pairs.encode("hello"), [259])
        XCTAssertEqual(joined.encode("hello hello"), pairs.encode("hello hello"))
    }

    func testIgnoreMergesTakesAWordThatIsAToken() throws {
        XCTAssertEqual(try Tokenizer(tokenizerJSON: try document()).encode("abc"), [261, 99])
        XCTAssertEqual(try Tokenizer(tokenizerJSON: try document(model: ["ignore_merges": true])).encode("abc"), [260])
    }

    func testTemplateProcessingAddsBOS() throws {
        let template: [String: Any] = [
            "type": "TemplateProcessing",
            "single": [["SpecialToken": ["id": "<s>", "type_id": 0]], ["Sequence": ["id": "A", "type_id": 0]]],
            "special_tokens": ["<s>": ["id": "<s>", "ids": [262], "tokens": ["<s>"]]],
        ]
        let tokenizer = try Tokenizer(tokenizerJSON: try document(postProcessor: template, addedTokens: [added("<s>", 262)]))
        XCTAssertTrue(tokenizer.addBOS)
        XCTAssertEqual(tokenizer.bosID, 262)
        XCTAssertEqual(tokenizer.encode("hello"), [262, 259])
        XCTAssertEqual(tokenizer.encode("hello", addSpecial: false), [259])
    }

    func testConfigFlagsOverrideThePostProcessor() throws {
        let tokens = [added("<s>", 262), added("</s>", 263)]
        let tokenizer = try Tokenizer(
            tokenizerJSON: try document(postProcessor: ["type": "ByteLevel"], addedTokens: tokens),
            config: try config(["bos_token": ["content": "<s>"], "eos_token": "</s>", "add_bos_token": true, "add_eos_token": true]))
        XCTAssertEqual(tokenizer.encode("hello"), [262, 259, 263])
        let withoutFlags = try Tokenizer(tokenizerJSON: try document(addedTokens: tokens),
                                         config: try config(["bos_token": "<s>", "eos_token": "</s>", "pad_token": NSNull()]))
        XCTAssertEqual(withoutFlags.encode("hello"), [259])
        XCTAssertEqual(withoutFlags.bosID, 262)
        XCTAssertNil(withoutFlags.padID)
    }

    func testPairsRepeatTheBOSAndEOSFormWithTypeID1() throws {
        let tokenizer = try Tokenizer(
            tokenizerJSON: try document(addedTokens: [added("<s>", 262), added("</s>", 263)]),
            config: try config(["bos_token": "<s>", "eos_token": "</s>", "add_bos_token": true, "add_eos_token": true]))
        XCTAssertEqual(tokenizer.encode("hello", pair: "he"), Encoding(ids: [262, 259, 263, 262, 256, 263], typeIDs: [0, 0, 0, 1, 1, 1]))
        XCTAssertEqual(tokenizer.encode("hello", pair: "he", addSpecial: false), Encoding(ids: [259, 256], typeIDs: [0, 1]))
        XCTAssertEqual(tokenizer.encode("hello", pair: nil), Encoding(ids: [262, 259, 263], typeIDs: [0, 0, 0]))
    }

    func testAddedTokenStripAndSingleWordOptions() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: try document(addedTokens: [
            added("<mask>", 262, lstrip: true), added("[X]", 263, rstrip: true), added("<w>", 264, singleWord: true),
        ]))
        XCTAssertEqual(tokenizer.encode("he  <mask>"), [256, 262], "lstrip takes the spaces before")
        XCTAssertEqual(tokenizer.encode("[X]  he"), [263, 256], "rstrip takes the spaces after")
        XCTAssertEqual(tokenizer.encode("he <w> he").filter { $0 == 264 }.count, 1)
        XCTAssertFalse(tokenizer.encode("he<w>he").contains(264), "single_word does not match inside a word")
        // As the `tokenizers` library: Unicode whitespace is stripped, `_` and letters are word characters.
        XCTAssertEqual(tokenizer.encode("a\u{A0}\u{3000}<mask>b"), tokenizer.encode("a") + [262] + tokenizer.encode("b"))
        XCTAssertEqual(tokenizer.encode("[X]\n\n x"), [263] + tokenizer.encode("x"))
        XCTAssertEqual(tokenizer.encode("<w>x <w>").filter { $0 == 264 }.count, 1)
        XCTAssertFalse(tokenizer.encode("_<w>").contains(264))
        XCTAssertFalse(tokenizer.encode("\u{E9}<w>").contains(264))
    }

    func testLongestAddedTokenWins() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: try document(addedTokens: [added("<a>", 262), added("<a><b>", 263)]))
        XCTAssertEqual(tokenizer.encode("<a><b><a>"), [263, 262])
    }

    // MARK: Errors

    func testTextThatIsNotJSONIsRejectedNamingTheFile() {
        let error = tokenizerError { try Tokenizer(tokenizerJSON: Data("not json {".utf8), source: "/models/x/tokenizer.json") }
        XCTAssertEqual(error, .unreadable(source: "/models/x/tokenizer.json", reason: "not valid JSON"))
        XCTAssertTrue(error?.description.contains("/models/x/tokenizer.json") ?? false)
    }

    func testMissingModelOrVocabularyIsNamed() throws {
        XCTAssertEqual(tokenizerError { try Tokenizer(tokenizerJSON: try self.document(drop: "model")) },
                       .missing(source: "tokenizer.json", key: "model"))
        let noVocab = try JSONSerialization.data(withJSONObject: ["model": ["type": "BPE", "merges": []], "decoder": ["type": "ByteLevel"]])
        XCTAssertEqual(tokenizerError { try Tokenizer(tokenizerJSON: noVocab) }, .missing(source: "tokenizer.json", key: "model.vocab"))
    }

    func testMergeNamingAnUnknownTokenIsRejected() {
        let error = tokenizerError { try Tokenizer(tokenizerJSON: try self.document(merges: ["h e", "x zz"])) }
        guard case let .invalid(source, reason) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(source, "tokenizer.json")
        XCTAssertTrue(reason.contains("'zz'"), reason)
        XCTAssertNotNil(tokenizerError { try Tokenizer(tokenizerJSON: try self.document(merges: ["h e l"])) })
    }

    func testUnsupportedPipelinesAreRejectedNamingThem() {
        let whitespace = tokenizerError { try Tokenizer(tokenizerJSON: try self.document(preTokenizer: ["type": "Whitespace"])) }
        XCTAssertTrue(whitespace?.description.contains("pre_tokenizer Whitespace") ?? false, "\(String(describing: whitespace))")
        let wordLevel = tokenizerError { try Tokenizer(tokenizerJSON: try self.document(model: ["type": "WordLevel", "vocab": ["a": 0]])) }
        XCTAssertEqual(wordLevel, .unsupported(source: "tokenizer.json", what: "model type 'WordLevel' (only BPE, WordPiece and Unigram)"))
        let prefixSpace = tokenizerError { try Tokenizer(tokenizerJSON: try self.document(preTokenizer: ["type": "ByteLevel", "add_prefix_space": true])) }
        XCTAssertTrue(prefixSpace?.description.contains("add_prefix_space: true") ?? false)
    }

    /// Ids far past the number of tokens would have a table allocated up to them (a fuzzed file
    /// with one id of 15 million took seconds): refused, naming the token; ids after a dense
    /// vocabulary still load.
    func testSparseIdsAreRejectedBeforeATableIsAllocatedForThem() throws {
        let vocab = Dictionary(uniqueKeysWithValues: Self.byteAlphabet.enumerated().map { ($1, $0) })
        for (model, added) in [(["vocab": vocab.merging(["he": 15_000_000]) { $1 }, "merges": [String]()], [] as [[String: Any]]),
                               ([:], [self.added("<big>", 15_000_000)])] {
            let error = tokenizerError { try Tokenizer(tokenizerJSON: try self.document(model: model, addedTokens: added)) }
            guard case let .invalid(source, reason) = error else { return XCTFail("\(String(describing: error))") }
            XCTAssertEqual(source, "tokenizer.json")
            XCTAssertTrue(reason.contains("id 15000000"), reason)
        }
        XCTAssertNoThrow(try Tokenizer(tokenizerJSON: try document(addedTokens: [added("<end>", 300)])))
    }

    func testMissingFileIsRejectedNamingIt() {
        let url = URL(fileURLWithPath: "/nonexistent/tokenizer.json")
        guard case let .unreadable(source, _) = tokenizerError({ try Tokenizer(tokenizerJSON: url) }) else { return XCTFail() }
        XCTAssertEqual(source, url.path)
    }
}
