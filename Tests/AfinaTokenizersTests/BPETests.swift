// The heap-ordered merge loop against a plain reference loop (merge the lowest-ranked adjacent
// pair, leftmost first, until none is left) on random words, with SmolLM2's real merges.
@testable import AfinaTokenizers
import Foundation
import XCTest

final class BPETests: XCTestCase {
    /// The reference: byte-level characters merged one pair at a time, quadratic and obvious.
    private func referenceBPE(_ word: String, ranks: [String: Int]) -> [String] {
        var symbols = ByteLevel.spelling(of: Array(word.utf8)).map(String.init)
        while symbols.count > 1 {
            var best: (rank: Int, at: Int)?
            for i in 0..<symbols.count - 1 {
                if let rank = ranks[symbols[i] + " " + symbols[i + 1]], rank < best?.rank ?? .max { best = (rank, i) }
            }
            guard let (_, i) = best else { break }
            symbols[i] += symbols.remove(at: i + 1)
        }
        return symbols
    }

    private func smolLM2Ranks() throws -> [String: Int] {
        let data = try Data(contentsOf: Fixtures.folder.appendingPathComponent("smollm2/tokenizer.json"))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let merges = try XCTUnwrap((json["model"] as? [String: Any])?["merges"] as? [[String]])
        return Dictionary(merges.enumerated().map { ($1.joined(separator: " "), $0) }, uniquingKeysWith: min)
    }

    func testMergesMatchTheReferenceLoopOnRandomWords() throws {
        let tokenizer = try Fixtures.tokenizer("smollm2")
        let ranks = try smolLM2Ranks()
        let letters = Array("etaoinshrdlucmfwypvbgkjqxzETAOIéüñßж")
        var generator = SplitMix64(seed: 42)
        for trial in 0..<500 {
            let length = trial < 490 ? 1 + Int(generator.next() % 24) : 300 + Int(generator.next() % 300)
            let word = (trial % 2 == 0 ? " " : "") + String((0..<length).map { _ in letters[Int(generator.next() % UInt64(letters.count))] })
            let expected = referenceBPE(word, ranks: ranks).map { tokenizer.id(of: $0) }
            XCTAssertEqual(tokenizer.encode(word).map(Optional.some), expected, word)
        }
    }

    func testCanonicallyEquivalentWordsKeepTheirOwnBytes() throws {
        // Swift's String equality is canonical equivalence; the word cache must not be.
        let tokenizer = try Fixtures.tokenizer("smollm2")
        for (a, b) in [("caf\u{E9}", "cafe\u{301}"), ("\u{2000}x", "\u{2002}x")] {
            XCTAssertNotEqual(tokenizer.encode(a), tokenizer.encode(b))
            XCTAssertEqual(Array(tokenizer.decode(tokenizer.encode(b)).utf8), Array(b.utf8))
        }
    }

    func testALongRunOfOneLetterEncodesQuickly() throws {
        let tokenizer = try Fixtures.tokenizer("smollm2")
        let word = String(repeating: "a", count: 100_000)
        let ids = tokenizer.encode(word)
        XCTAssertEqual(tokenizer.decode(ids), word)
        XCTAssertEqual(ids, [Int32](repeating: try XCTUnwrap(tokenizer.id(of: "aaaa")), count: 25_000))
    }
}

/// A small deterministic generator (Steele et al., SplitMix64) so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
