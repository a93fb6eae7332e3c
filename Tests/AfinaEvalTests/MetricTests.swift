// BLEU, ROUGE-L and SARI against their reference implementations: sacrebleu 2.6.0,
// rouge-score 0.1.2 and evaluate 0.4.6 (scripts/make_metric_fixtures.py). Scores are 0-100
// and must agree within 1e-9; the tokenizers must agree exactly, scalar for scalar.
import Foundation
import XCTest
@testable import AfinaEval

final class MetricTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let sources: [String]
        let predictions: [String]
        let references: [[String]]
        let bleu: Double
        let bleu_sentences: [Double]
        let rouge_l: Double
        let rouge_l_sentences: [Double]
        let sari: Double
        let sari_sentences: [Double]
    }
    struct Tokenization: Decodable {
        let text: String
        let tok_13a: String
        let sari_normalized: String
        let rouge_tokens: [String]
    }
    struct Fixture: Decodable {
        let cases: [Case]
        let tokenizations: [Tokenization]
    }

    static let tolerance = 1e-9

    func loadFixture() throws -> Fixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/eval/metrics.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertEqual(fixture.cases.count, 32)
        return fixture
    }

    /// Asserts each pair agrees within the tolerance and prints the largest difference.
    func assertClose(_ metric: String, _ pairs: [(name: String, got: Double, expected: Double)]) {
        var worst = 0.0
        for (name, got, expected) in pairs {
            worst = max(worst, abs(got - expected))
            XCTAssertEqual(got, expected, accuracy: Self.tolerance, "\(metric): \(name)")
        }
        print("\(metric): \(pairs.count) scores, max |difference| \(worst)")
    }

    // Swift's String == treats canonically equivalent text as equal; Python does not.
    func scalars(_ text: String) -> [UInt32] { text.unicodeScalars.map(\.value) }

    func testTokenizer13aEqualsSacrebleu() throws {
        for t in try loadFixture().tokenizations {
            XCTAssertEqual(scalars(Tokenizer13a.tokenize(t.text)), scalars(t.tok_13a), "13a of \(t.text.debugDescription)")
            XCTAssertEqual(scalars(Tokenizer13a.tokenize(PythonText.lower(t.text))), scalars(t.sari_normalized),
                           "SARI normalization of \(t.text.debugDescription)")
            XCTAssertEqual(ROUGEL.tokenize(t.text), t.rouge_tokens, "rouge tokens of \(t.text.debugDescription)")
        }
    }

    func testBLEUEqualsSacrebleuCorpusBleu() throws {
        var pairs: [(String, Double, Double)] = []
        for c in try loadFixture().cases {
            pairs.append((c.name, BLEU.corpusScore(predictions: c.predictions, references: c.references), c.bleu))
            for (i, expected) in c.bleu_sentences.enumerated() {
                pairs.append(("\(c.name) #\(i)", BLEU.corpusScore(predictions: [c.predictions[i]], references: [c.references[i]]), expected))
            }
        }
        assertClose("BLEU", pairs)
    }

    func testROUGELEqualsRougeScore() throws {
        var pairs: [(String, Double, Double)] = []
        for c in try loadFixture().cases {
            pairs.append((c.name, ROUGEL.corpusScore(predictions: c.predictions, references: c.references), c.rouge_l))
            for (i, expected) in c.rouge_l_sentences.enumerated() {
                pairs.append(("\(c.name) #\(i)", ROUGEL.bestFMeasure(c.predictions[i], references: c.references[i]), expected))
            }
        }
        assertClose("ROUGE-L", pairs)
    }

    func testSARIEqualsEvaluate() throws {
        var pairs: [(String, Double, Double)] = []
        for c in try loadFixture().cases {
            pairs.append((c.name, SARI.corpusScore(sources: c.sources, predictions: c.predictions, references: c.references), c.sari))
            for (i, expected) in c.sari_sentences.enumerated() {
                let got = SARI.sentenceScore(source: c.sources[i], prediction: c.predictions[i], references: c.references[i])
                pairs.append(("\(c.name) #\(i)", got, expected))
            }
        }
        assertClose("SARI", pairs)
    }

    func testPythonLowerEndsWordsWithFinalSigma() {
        XCTAssertEqual(scalars(PythonText.lower("ΟΔΟΣ Σ ΑΣ.")), scalars("οδος σ ας."))
        XCTAssertEqual(scalars(PythonText.lower("İ")), [0x69, 0x307])
    }

    func testBLEUTakesTheShorterReferenceLengthOnTies() {
        let stats = BLEU.statistics("a b c d", references: ["a b c d e", "a b c"])
        XCTAssertEqual(stats.referenceLength, 3)
        XCTAssertEqual(stats.matches, [4, 3, 2, 1])
    }

    func testMetricsOfNothingAreZero() {
        XCTAssertEqual(BLEU.corpusScore(predictions: [], references: []), 0)
        XCTAssertEqual(ROUGEL.corpusScore(predictions: [], references: []), 0)
        XCTAssertEqual(SARI.corpusScore(sources: [], predictions: [], references: []), 0)
        XCTAssertEqual(ROUGEL.bestFMeasure("anything", references: []), 0)
    }
}
