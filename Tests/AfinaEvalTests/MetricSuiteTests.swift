// Metric selection, point estimates equal to each metric's corpusScore, and bootstrap
// intervals that are deterministic and contain the estimate.
import AfinaData
import Foundation
import XCTest
@testable import AfinaEval

final class MetricSuiteTests: XCTestCase {
    let predictions = ["the cat sat on the mat", "a quick brown fox", "hello world", "receive", "weird", "adress",
                       "the dog barked loudly", "it is raining", "good morning", "see you soon"]
    let references = [["the cat sat on the mat"], ["the quick brown fox"], ["hello there world"], ["receive"],
                      ["weird", "wired"], ["address"], ["the dog barked"], ["it was raining"], ["good morning"],
                      ["see you later"]]
    let sources = ["the cat sit on mat", "a quik brown fox", "hello wrld", "recieve", "wierd", "adress",
                   "the dog barkd loudly", "it is rainin", "god morning", "see you son"]

    func testMetricListsParseInOrderWithoutRepeatsAndRejectUnknownNames() throws {
        XCTAssertEqual(try Metric.list("bleu, chrf,bleu,sari"), [.bleu, .chrf, .sari])
        XCTAssertThrowsError(try Metric.list("exact_match,meteor")) {
            XCTAssertTrue("\($0)".contains("unknown metric 'meteor'"), "\($0)")
        }
    }

    func testPointEstimatesEqualEachMetricsCorpusScore() {
        let textMetrics = Metric.allCases.filter { ![.accuracy, .macroF1].contains($0) }
        let scores = MetricSuite.score(textMetrics, predictions: predictions, references: references,
                                       sources: sources, bootstrap: nil)
        let expected: [Metric: Double] = [
            .exactMatch: ExactMatch.score(predictions: predictions, references: references),
            .chrf: CHRF.corpusScore(hypotheses: predictions, references: references),
            .bleu: BLEU.corpusScore(predictions: predictions, references: references),
            .rougeL: ROUGEL.corpusScore(predictions: predictions, references: references),
            .sari: SARI.corpusScore(sources: sources, predictions: predictions, references: references),
        ]
        XCTAssertEqual(scores.map(\.metric), textMetrics)
        for score in scores {
            XCTAssertEqual(score.value!, expected[score.metric]!, accuracy: 1e-9, score.metric.rawValue)
            XCTAssertNil(score.lower)
        }
    }

    /// Accuracy and macro-F1 against scikit-learn (scripts/make_classification_metric_fixtures.py),
    /// including labels only predicted and a class never predicted.
    func testClassificationScoresEqualScikitLearn() throws {
        struct Case: Decodable { let predictions: [String]; let references: [String]; let accuracy: Double; let macro_f1: Double }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/eval/classification.json").standardized
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
        for c in cases {
            let scores = MetricSuite.score([.accuracy, .macroF1], predictions: c.predictions,
                                           references: c.references.map { [$0] }, sources: [], bootstrap: Bootstrap())
            XCTAssertEqual(scores[0].value!, c.accuracy, accuracy: 1e-9, "accuracy")
            XCTAssertEqual(scores[1].value!, c.macro_f1, accuracy: 1e-9, "macro-F1")
            XCTAssertLessThanOrEqual(scores[1].lower!, scores[1].value!)
            XCTAssertGreaterThanOrEqual(scores[1].upper!, scores[1].value!)
        }
    }

    func testIntervalsAreDeterministicAndContainTheEstimate() {
        let first = MetricSuite.score(Metric.allCases, predictions: predictions, references: references, sources: sources)
        let again = MetricSuite.score(Metric.allCases, predictions: predictions, references: references, sources: sources)
        XCTAssertEqual(first, again, "the same seed draws the same resamples")
        for score in first {
            let (value, lower, upper) = (score.value!, score.lower!, score.upper!)
            XCTAssertLessThanOrEqual(lower, value, score.metric.rawValue)
            XCTAssertGreaterThanOrEqual(upper, value, score.metric.rawValue)
            XCTAssertLessThan(lower, upper, "\(score.metric.rawValue): ten differing examples give a spread")
            XCTAssertTrue((0...100).contains(lower) && (0...100).contains(upper))
        }
        let reseeded = MetricSuite.score([.chrf], predictions: predictions, references: references, sources: sources,
                                         bootstrap: Bootstrap(seed: 7))
        XCTAssertNotEqual(reseeded[0].lower, first[1].lower, "another seed, other resamples")
    }

    func testExactMatchIntervalMatchesABinomialBootstrapByHand() {
        // Resampling 0/1 outcomes: the interval is the percentiles of resampled hit rates.
        let outcomes = [[1.0], [0], [1], [1], [0], [1], [0], [1], [1], [1]]
        let bootstrap = Bootstrap(resamples: 200, seed: 3)
        let interval = bootstrap.interval(outcomes) { 100 * $0[0] / Double($1) }
        var generator = SplitMixReplay(seed: 3)
        var rates: [Double] = []
        for _ in 0..<200 { rates.append(100 * (0..<10).map { _ in outcomes[generator.draw(10)][0] }.reduce(0, +) / 10) }
        rates.sort()
        XCTAssertEqual(interval.lower, Bootstrap.percentile(rates, 0.025), accuracy: 1e-12)
        XCTAssertEqual(interval.upper, Bootstrap.percentile(rates, 0.975), accuracy: 1e-12)
        XCTAssertEqual(Bootstrap.percentile([0, 10, 20, 30], 0.5), 15, "linear between neighbours, as numpy")
    }

    func testSARIIsUnavailableWithoutSources() {
        let scores = MetricSuite.score([.sari, .exactMatch], predictions: ["a", "b"], references: [["a"], ["c"]],
                                       sources: ["x", nil])
        XCTAssertNil(scores[0].value)
        XCTAssertNotNil(scores[0].unavailable)
        XCTAssertEqual(scores[1].value, 50)
    }
}

/// The bootstrap's draws, replayed from the same generator.
struct SplitMixReplay {
    var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed) }
    mutating func draw(_ bound: Int) -> Int { generator.uniform(below: bound) }
}
