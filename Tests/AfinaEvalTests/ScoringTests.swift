// Exact match normalization and chrF against sacrebleu (scripts/make_chrf_fixtures.py).
import Foundation
import XCTest
@testable import AfinaEval

final class ExactMatchTests: XCTestCase {
    func testSurroundingWhitespaceAndOneTrailingPeriodAreIgnored() {
        XCTAssertTrue(ExactMatch.matches("  Paris.\n", references: ["Paris"]))
        XCTAssertTrue(ExactMatch.matches("Paris", references: ["Lyon", "Paris."]))
        XCTAssertFalse(ExactMatch.matches("Paris..", references: ["Paris"]), "only one period is dropped")
        XCTAssertFalse(ExactMatch.matches("paris", references: ["Paris"]), "case counts")
        XCTAssertFalse(ExactMatch.matches("The capital is Paris", references: ["Paris"]))
        XCTAssertEqual(ExactMatch.normalized(" a . "), "a ")
    }

    func testScoreIsThePercentageOfMatches() {
        XCTAssertEqual(ExactMatch.score(predictions: ["a", "b", "c", "d"], references: [["a"], ["x"], ["c."], ["y"]]), 50)
        XCTAssertEqual(ExactMatch.score(predictions: [], references: []), 0)
    }
}

final class CHRFTests: XCTestCase {
    struct Case: Decodable {
        let hypotheses: [String]
        let references: [[String]]
        let corpus: Double
        let sentences: [Double]
    }
    struct Fixture: Decodable { let cases: [Case] }

    func testScoresEqualSacrebleu() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/eval/chrf_cases.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertEqual(fixture.cases.count, 6)
        for c in fixture.cases {
            XCTAssertEqual(CHRF.corpusScore(hypotheses: c.hypotheses, references: c.references), c.corpus,
                           accuracy: 1e-9, "\(c.hypotheses)")
            for (i, expected) in c.sentences.enumerated() {
                XCTAssertEqual(CHRF.sentenceScore(c.hypotheses[i], references: c.references[i]), expected,
                               accuracy: 1e-9, c.hypotheses[i])
            }
        }
    }

    func testIdenticalTextScoresHundredAndNoReferencesScoreZero() {
        XCTAssertEqual(CHRF.sentenceScore("exactly this", references: ["exactly this"]), 100, accuracy: 1e-12)
        XCTAssertEqual(CHRF.sentenceScore("anything", references: []), 0)
    }
}
