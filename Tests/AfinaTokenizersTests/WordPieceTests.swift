// The WordPiece (BERT) fixtures written by scripts/make_wordpiece_fixtures.py: all-MiniLM-L6-v2's
// real tokenizer ("minilm": lowercasing, accents stripped, TemplateProcessing) and a tiny cased
// one ("bert-cased": BertProcessing, CJK not split, max 20 characters a word), against the ids,
// type ids and decodings of `tokenizers` and transformers; then files it must reject.
@testable import AfinaTokenizers
import Foundation
import XCTest

final class WordPieceTests: XCTestCase {
    private let models = ["minilm", "bert-cased"]

    private struct Case: Decodable {
        var text: String
        var ids: [Int32]
        var typeIDs: [Int32]
        var idsWithoutSpecial: [Int32]
        var idsUnparsedSpecial: [Int32]
        var decoded: String
        var decodedSkipSpecial: String

        enum CodingKeys: String, CodingKey {
            case text, ids, decoded
            case typeIDs = "type_ids", idsWithoutSpecial = "ids_without_special"
            case idsUnparsedSpecial = "ids_unparsed_special", decodedSkipSpecial = "decoded_skip_special"
        }
    }

    private struct Pair: Decodable {
        var text: String
        var pair: String
        var ids: [Int32]
        var typeIDs: [Int32]
        var idsWithoutSpecial: [Int32]
        var typeIDsWithoutSpecial: [Int32]

        enum CodingKeys: String, CodingKey {
            case text, pair, ids
            case typeIDs = "type_ids", idsWithoutSpecial = "ids_without_special"
            case typeIDsWithoutSpecial = "type_ids_without_special"
        }
    }

    private struct RandomCase: Decodable {
        var text: String
        var ids: [Int32]
    }

    private struct Expected: Decodable {
        var cases: [Case]
        var pairs: [Pair]
        /// minilm only: random strings of characters from many Unicode blocks.
        var random: [RandomCase]?
    }

    private func folder(_ model: String) -> URL {
        Fixtures.folder.appendingPathComponent(model)
    }

    private func expected(_ model: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: try Data(contentsOf: folder(model).appendingPathComponent("expected.json")))
    }

    /// The bert-cased tokenizer.json with some top-level entries replaced.
    private func casedDocument(replacing entries: [String: Any]) throws -> Data {
        let data = try Data(contentsOf: folder("bert-cased").appendingPathComponent("tokenizer.json"))
        var document = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        document.merge(entries) { $1 }
        return try JSONSerialization.data(withJSONObject: document)
    }

    // MARK: Fixtures

    func testIdsAndTypeIDsMatchTokenizersForEveryString() throws {
        for model in models {
            let tokenizer = try Tokenizer(directory: folder(model))
            let cases = try expected(model).cases
            XCTAssertGreaterThanOrEqual(cases.count, 40)
            for c in cases {
                let name = "\(model): \(c.text.debugDescription)"
                XCTAssertEqual(tokenizer.encode(c.text), c.ids, name)
                XCTAssertEqual(tokenizer.encode(c.text, pair: nil), Encoding(ids: c.ids, typeIDs: c.typeIDs), name)
                XCTAssertEqual(tokenizer.encode(c.text, addSpecial: false), c.idsWithoutSpecial, name)
                XCTAssertEqual(tokenizer.encode(c.text, parseSpecial: false), c.idsUnparsedSpecial, name)
            }
        }
    }

    func testRandomUnicodeStringsMatchTokenizers() throws {
        // They reach the characters whose category `tokenizers`' old Unicode tables do not know.
        let tokenizer = try Tokenizer(directory: folder("minilm"))
        let cases = try XCTUnwrap(try expected("minilm").random)
        XCTAssertEqual(cases.count, 300)
        for c in cases {
            XCTAssertEqual(tokenizer.encode(c.text), c.ids, c.text.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " "))
        }
    }

    func testPairsMatchTokenizers() throws {
        for model in models {
            let tokenizer = try Tokenizer(directory: folder(model))
            for p in try expected(model).pairs {
                let name = "\(model): \(p.text.debugDescription) + \(p.pair.debugDescription)"
                XCTAssertEqual(tokenizer.encode(p.text, pair: p.pair), Encoding(ids: p.ids, typeIDs: p.typeIDs), name)
                XCTAssertEqual(tokenizer.encode(p.text, pair: p.pair, addSpecial: false),
                               Encoding(ids: p.idsWithoutSpecial, typeIDs: p.typeIDsWithoutSpecial), name)
            }
        }
    }

    /// `encode(_:pair:maxLength:)` equals tokenizers' LongestFirst truncation, single texts and
    /// pairs, down to lengths that leave only the special tokens.
    func testTruncationMatchesTokenizersLongestFirst() throws {
        struct Case: Decodable { let text: String; let pair: String?; let max_length: Int; let ids: [Int32]; let type_ids: [Int32] }
        struct Cases: Decodable { let cases: [Case] }
        let url = folder("minilm").appendingPathComponent("truncation.json")
        let cases = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: url)).cases
        let tokenizer = try Tokenizer(directory: folder("minilm"))
        for c in cases {
            let (encoding, truncated) = tokenizer.encode(c.text, pair: c.pair, maxLength: c.max_length)
            let name = "\(c.text.prefix(12))... + \(c.pair?.prefix(12) ?? "nil") to \(c.max_length)"
            XCTAssertEqual(encoding, Encoding(ids: c.ids, typeIDs: c.type_ids), name)
            XCTAssertEqual(truncated, tokenizer.encode(c.text, pair: c.pair).ids.count > c.max_length, name)
        }
    }

    func testDecodeMatchesTransformers() throws {
        for model in models {
            let tokenizer = try Tokenizer(directory: folder(model))
            for c in try expected(model).cases {
                XCTAssertEqual(tokenizer.decode(c.ids), c.decoded, "\(model): \(c.text.debugDescription)")
                XCTAssertEqual(tokenizer.decode(c.ids, skipSpecial: true), c.decodedSkipSpecial, "\(model): \(c.text.debugDescription)")
            }
        }
    }

    func testStreamingDecodeEqualsDecodeWithoutConfigCleanup() throws {
        // MiniLM's config leaves clean_up_tokenization_spaces off, so decoding works token by token.
        let tokenizer = try Tokenizer(directory: folder("minilm"))
        for c in try expected("minilm").cases {
            var stream = StreamingDecoder(tokenizer: tokenizer, skipSpecial: true)
            let text = c.ids.map { stream.next($0) }.joined() + stream.finish()
            XCTAssertEqual(text, c.decodedSkipSpecial, c.text.debugDescription)
        }
    }

    func testOtherPipelinesOverTheCasedVocabularyMatchTokenizers() throws {
        let data = try Data(contentsOf: folder("bert-cased").appendingPathComponent("expected.json"))
        let fixture = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let variants = try XCTUnwrap(fixture["variants"] as? [[String: Any]])
        let texts = try expected("bert-cased")
        XCTAssertEqual(variants.count, 6)
        for variant in variants {
            let name = try XCTUnwrap(variant["name"] as? String)
            let entries = variant.filter { ["normalizer", "pre_tokenizer", "post_processor", "added_tokens"].contains($0.key) }
            let tokenizer = try Tokenizer(tokenizerJSON: try casedDocument(replacing: entries), source: name)
            let ids = try XCTUnwrap(variant["ids"] as? [[Int]]).map { $0.map(Int32.init) }
            for (c, expectedIDs) in zip(texts.cases, ids) {
                XCTAssertEqual(tokenizer.encode(c.text), expectedIDs, "\(name): \(c.text.debugDescription)")
            }
            let pairIDs = try XCTUnwrap(variant["pair_ids"] as? [[Int]]).map { $0.map(Int32.init) }
            let pairTypeIDs = try XCTUnwrap(variant["pair_type_ids"] as? [[Int]]).map { $0.map(Int32.init) }
            for (p, (ids, typeIDs)) in zip(texts.pairs, zip(pairIDs, pairTypeIDs)) {
                XCTAssertEqual(tokenizer.encode(p.text, pair: p.pair), Encoding(ids: ids, typeIDs: typeIDs), "\(name): \(p.text)")
            }
        }
    }

    // MARK: Special tokens and settings

    func testMiniLMSpecialTokensComeFromTheConfig() throws {
        let tokenizer = try Tokenizer(directory: folder("minilm"))
        XCTAssertEqual(tokenizer.vocabularySize, 30522)
        XCTAssertEqual(tokenizer.preTokenizer, .bert)
        XCTAssertEqual(tokenizer.clsID, 101)
        XCTAssertEqual(tokenizer.sepID, 102)
        XCTAssertEqual(tokenizer.maskID, 103)
        XCTAssertEqual(tokenizer.padID, 0)
        XCTAssertEqual(tokenizer.unknownID, 100)
        XCTAssertNil(tokenizer.bosID, "BERT has no BOS: [CLS] comes from the post-processor")
        XCTAssertNil(tokenizer.eosID)
        XCTAssertFalse(tokenizer.addBOS)
        XCTAssertEqual(tokenizer.specialIDs, [0, 100, 101, 102, 103])
        XCTAssertEqual(tokenizer.id(of: "##ing"), 2075)
    }

    func testBertProcessingNamesCLSAndSEPWithoutAConfig() throws {
        let tokenizer = try Tokenizer(tokenizerJSON: folder("bert-cased").appendingPathComponent("tokenizer.json"))
        XCTAssertEqual(tokenizer.clsID, 2)
        XCTAssertEqual(tokenizer.sepID, 3)
        XCTAssertNil(tokenizer.maskID, "only tokenizer_config.json names the mask token")
        XCTAssertEqual(tokenizer.encode("Hello"), [2, 5, 3])
        // Without the config there is no whole-text cleanup: the decoder's own is per token.
        XCTAssertEqual(tokenizer.decode(tokenizer.encode("don ' t"), skipSpecial: true), "don ' t")
        XCTAssertEqual(try Tokenizer(directory: folder("bert-cased")).decode(tokenizer.encode("don ' t"), skipSpecial: true), "don't")
    }

    func testTruncationAndPaddingSectionsAreNotApplied() throws {
        // MiniLM's tokenizer.json truncates to 128 and pads to 128; encode does neither.
        let tokenizer = try Tokenizer(directory: folder("minilm"))
        XCTAssertEqual(tokenizer.encode(String(repeating: "word ", count: 300)).count, 302)
        XCTAssertEqual(tokenizer.encode("hello").count, 3)
    }

    func testWordsLongerThanTheLimitAreUnknown() throws {
        let tokenizer = try Tokenizer(directory: folder("bert-cased"))
        let unknown = try XCTUnwrap(tokenizer.unknownID)
        let letters = String(repeating: "a", count: 20)
        XCTAssertFalse(tokenizer.encode(letters, addSpecial: false).contains(unknown), "20 characters is within the limit")
        XCTAssertEqual(tokenizer.encode(letters + "a", addSpecial: false), [unknown])
    }

    // MARK: Errors

    func testUnknownNormalizerIsRejectedNamingFileAndType() throws {
        let data = try casedDocument(replacing: ["normalizer": ["type": "Sequence", "normalizers": [["type": "NFKC"]]]])
        let error = tokenizerError { try Tokenizer(tokenizerJSON: data, source: "/m/tokenizer.json") }
        guard case let .unsupported(source, what) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(source, "/m/tokenizer.json")
        XCTAssertTrue(what.hasPrefix("normalizer NFKC"), what)
    }

    func testWordPieceWithoutItsUnknownTokenIsRejected() throws {
        let data = try Data(contentsOf: folder("bert-cased").appendingPathComponent("tokenizer.json"))
        var document = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var model = try XCTUnwrap(document["model"] as? [String: Any])
        model["unk_token"] = "[NOPE]"
        document["model"] = model
        let error = tokenizerError { try Tokenizer(tokenizerJSON: try JSONSerialization.data(withJSONObject: document)) }
        XCTAssertEqual(error, .invalid(source: "tokenizer.json", reason: "model.unk_token '[NOPE]' is not in the WordPiece vocabulary"))
        model["unk_token"] = nil
        document["model"] = model
        XCTAssertEqual(tokenizerError { try Tokenizer(tokenizerJSON: try JSONSerialization.data(withJSONObject: document)) },
                       .missing(source: "tokenizer.json", key: "model.unk_token"))
    }

    func testUnsupportedWordPiecePipelinesAreRejectedNamingThem() throws {
        let cases: [(String, Any, String)] = [
            ("pre_tokenizer", ["type": "Metaspace"], "pre_tokenizer Metaspace for a WordPiece model"),
            ("pre_tokenizer", ["type": "ByteLevel", "add_prefix_space": false], "pre_tokenizer ByteLevel(add_prefix_space: false) for a WordPiece model"),
            ("decoder", ["type": "ByteLevel"], "decoder ByteLevel for a WordPiece model"),
            ("post_processor", ["type": "ByteLevel"], "post_processor ByteLevel for a WordPiece model"),
        ]
        for (key, component, message) in cases {
            let error = tokenizerError { try Tokenizer(tokenizerJSON: try self.casedDocument(replacing: [key: component])) }
            XCTAssertTrue(error?.description.hasPrefix("tokenizer.json: unsupported \(message)") ?? false, "\(String(describing: error))")
        }
    }

    func testTemplateThatCannotBeAppliedIsRejected() throws {
        let sequenceB: [String: Any] = ["Sequence": ["id": "B", "type_id": 0]]
        let template: [String: Any] = ["type": "TemplateProcessing", "single": [sequenceB], "pair": [sequenceB], "special_tokens": [:]]
        let error = tokenizerError { try Tokenizer(tokenizerJSON: try self.casedDocument(replacing: ["post_processor": template])) }
        XCTAssertEqual(error, .invalid(source: "tokenizer.json", reason: "post_processor: the single template must use $A and not $B"))
    }
}
