// Streaming decoding: output only whole characters, and add up to `decode` of all ids.
@testable import AfinaTokenizers
import XCTest

final class StreamingDecoderTests: XCTestCase {
    private func stream(_ tokenizer: Tokenizer, _ ids: [Int32], skipSpecial: Bool = false) -> [String] {
        var decoder = StreamingDecoder(tokenizer: tokenizer, skipSpecial: skipSpecial)
        return ids.map { decoder.next($0) } + [decoder.finish()]
    }

    func testEmojiArriveWholeOneIdAtATime() throws {
        let tokenizer = try Fixtures.tokenizer("smollm2")
        let text = "Emoji: 😀👍🏽 🇫🇷 👨‍👩‍👧‍👦 ❤️‍🔥 🏳️‍🌈!"
        let ids = tokenizer.encode(text)
        let chunks = stream(tokenizer, ids)
        XCTAssertEqual(chunks.joined(), text)
        XCTAssertFalse(chunks.contains { $0.contains("\u{FFFD}") }, "no chunk holds a partial character")
        XCTAssertGreaterThan(chunks.filter(\.isEmpty).count, 1, "some ids end inside a character and are held back")
        XCTAssertTrue(ids.contains { tokenizer.decode([$0]).contains("\u{FFFD}") }, "decoded alone, some ids are partial")
    }

    func testChunksAddUpToDecodeForEveryFixtureString() throws {
        for model in ["smollm2", "qwen2"] {
            let tokenizer = try Fixtures.tokenizer(model)
            for c in try Fixtures.expected(model).cases {
                XCTAssertEqual(stream(tokenizer, c.ids).joined(), c.decoded, "\(model): \(c.text.debugDescription)")
                XCTAssertEqual(stream(tokenizer, c.ids, skipSpecial: true).joined(), c.decodedSkipSpecial, model)
            }
        }
    }

    func testRandomBytesIncludingInvalidUTF8AddUpToDecode() throws {
        let tokenizer = try Fixtures.tokenizer("qwen2")  // it spells all 256 bytes; SmolLM2 lacks 21
        let byteIDs = try ByteLevel.characterOfByte.map { try XCTUnwrap(tokenizer.id(of: String($0))) }
        // Bytes biased toward UTF-8 lead and continuation bytes, so sequences break often.
        let pool: [UInt8] = [0x41, 0x20, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        var generator = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let ids = (0..<Int(generator.next() % 12)).map { _ in byteIDs[Int(pool[Int(generator.next() % UInt64(pool.count))])] }
            XCTAssertEqual(stream(tokenizer, ids).joined(), tokenizer.decode(ids), "\(ids)")
        }
    }

    func testIncompleteSuffixLengths() {
        XCTAssertEqual(StreamingDecoder.incompleteSuffixLength([]), 0)
        XCTAssertEqual(StreamingDecoder.incompleteSuffixLength([0x41, 0xF0, 0x9F, 0x98]), 3)
        XCTAssertEqual(StreamingDecoder.incompleteSuffixLength([0xF0, 0x9F, 0x98, 0x80]), 0)
        XCTAssertEqual(StreamingDecoder.incompleteSuffixLength([0xE2]), 1)
        XCTAssertEqual(StreamingDecoder.incompleteSuffixLength([0xE0, 0x80]), 0, "E0 80 can never become a character")
        XCTAssertEqual(StreamingDecoder.incompleteSuffixLength([0xC0]), 0, "C0 is never valid")
    }
}
