// The tokenizer.json fixtures (SmolLM2, Qwen2.5) against the ids, decodings and words the
// `tokenizers` library gives for the same strings.
@testable import AfinaTokenizers
import Foundation
import XCTest

final class HuggingFaceTokenizerTests: XCTestCase {
    private let models = ["smollm2", "qwen2"]

    func testIdsMatchTransformersForEveryString() throws {
        for model in models {
            let tokenizer = try Fixtures.tokenizer(model)
            for c in try Fixtures.expected(model).cases {
                XCTAssertEqual(tokenizer.encode(c.text), c.ids, "\(model): \(c.text.debugDescription)")
            }
        }
    }

    func testDecodeMatchesTransformers() throws {
        for model in models {
            let tokenizer = try Fixtures.tokenizer(model)
            for c in try Fixtures.expected(model).cases {
                XCTAssertEqual(tokenizer.decode(c.ids), c.decoded, "\(model): \(c.text.debugDescription)")
                XCTAssertEqual(tokenizer.decode(c.ids, skipSpecial: true), c.decodedSkipSpecial, model)
                XCTAssertEqual(c.ids.map { tokenizer.decode([$0]) }, c.pieces, "\(model): each id of \(c.text.debugDescription)")
            }
        }
    }

    func testInvalidUTF8IsReplacedAsTransformersDoes() throws {
        for model in models {
            let tokenizer = try Fixtures.tokenizer(model)
            for c in try Fixtures.expected(model).invalidUTF8 {
                XCTAssertEqual(tokenizer.decode(c.ids), c.decoded, "\(model): \(c.ids)")
            }
        }
    }

    func testDecodeOfEncodeGivesBackTheText() throws {
        for model in models {
            let tokenizer = try Fixtures.tokenizer(model)
            for c in try Fixtures.expected(model).cases {
                // Qwen2 normalizes to NFC, so its round trip gives the NFC form.
                let text = model == "qwen2" ? Fixtures.nfc(c.text) : c.text
                XCTAssertEqual(tokenizer.decode(tokenizer.encode(c.text)), text, model)
            }
        }
    }

    func testPreTokenizerWordsMatchTransformers() throws {
        for model in models {
            let tokenizer = try Fixtures.tokenizer(model)
            for c in try Fixtures.expected(model).cases {
                let text = model == "qwen2" ? Fixtures.nfc(c.text) : c.text
                XCTAssertEqual(words(tokenizer.preTokenizer, text), c.words, "\(model): \(c.text.debugDescription)")
            }
        }
    }

    func testSmolLM2SpecialTokensComeFromTheConfig() throws {
        let tokenizer = try Fixtures.tokenizer("smollm2")
        XCTAssertEqual(tokenizer.vocabularySize, 49152)
        XCTAssertEqual(tokenizer.preTokenizer, .smollm)
        XCTAssertEqual(tokenizer.bosID, 1)
        XCTAssertEqual(tokenizer.eosID, 2)
        XCTAssertEqual(tokenizer.padID, 2)
        XCTAssertEqual(tokenizer.unknownID, 0)
        XCTAssertFalse(tokenizer.addBOS)
        XCTAssertEqual(tokenizer.specialIDs, Array(0...16))
        XCTAssertEqual(tokenizer.id(of: "<|im_end|>"), 2)
        XCTAssertEqual(tokenizer.token(for: 1), "<|im_start|>")
        XCTAssertTrue(tokenizer.isSpecial(2))
        XCTAssertFalse(tokenizer.isSpecial(100))
        XCTAssertNil(tokenizer.token(for: 49152))
        XCTAssertEqual(tokenizer.decode([-1, 49152, 99999]), "")
    }

    func testQwen2HasNoBOSAndEndsTurnsWithImEnd() throws {
        let tokenizer = try Fixtures.tokenizer("qwen2")
        XCTAssertEqual(tokenizer.vocabularySize, 151665)
        XCTAssertEqual(tokenizer.preTokenizer, .qwen2)
        XCTAssertNil(tokenizer.bosID)
        XCTAssertEqual(tokenizer.eosID, 151645)
        XCTAssertEqual(tokenizer.padID, 151643)
        XCTAssertEqual(tokenizer.id(of: "<tool_call>"), 151657)
        XCTAssertFalse(tokenizer.isSpecial(151657), "user-defined tokens are added but not special")
        XCTAssertTrue(tokenizer.isSpecial(151644))
    }

    func testPairsHaveTypeID1AfterTheFirstTextAsTransformers() throws {
        // tokenizer("Hello there", "General Kenobi") with both fixtures (ByteLevel post-processor).
        XCTAssertEqual(try Fixtures.tokenizer("smollm2").encode("Hello there", pair: "General Kenobi"),
                       Encoding(ids: [19556, 665, 12522, 9494, 13856], typeIDs: [0, 0, 1, 1, 1]))
        XCTAssertEqual(try Fixtures.tokenizer("qwen2").encode("Hello there", pair: "General Kenobi"),
                       Encoding(ids: [9707, 1052, 15415, 14259, 18337], typeIDs: [0, 0, 1, 1, 1]))
    }

    func testUnparsedSpecialTokensAreEncodedAsText() throws {
        let tokenizer = try Fixtures.tokenizer("smollm2")
        let ids = tokenizer.encode("<|im_start|>user", parseSpecial: false)
        XCTAssertFalse(ids.contains(1))
        XCTAssertEqual(tokenizer.decode(ids), "<|im_start|>user")
    }
}

/// The words a pre-tokenizer cuts `text` into, spelled in the byte-level alphabet as the
/// `tokenizers` library prints them.
func words(_ preTokenizer: PreTokenizer, _ text: String) -> [String] {
    let scalars = ScalarText(text)
    return preTokenizer.split(scalars).map { ByteLevel.spelling(of: scalars.bytes($0)) }
}
