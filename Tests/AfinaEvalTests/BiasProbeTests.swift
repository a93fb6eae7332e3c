// The bias probe: per-name probabilities against transformers on the real SmolLM2 GGUF
// (Tests/Fixtures/bias/names.json from scripts/make_bias_fixtures.py; skipped when the model
// is not pulled), continuation scoring against one plain forward per continuation on the tiny
// fixture model, the summary statistics, and the chart.
import AfinaData
import AfinaFormats
import AfinaHub
import AfinaTensor
import Foundation
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import AfinaEval
@testable import AfinaModels

final class BiasProbeTests: XCTestCase {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures")

    struct Fixture: Decodable {
        struct Name: Decodable { let name: String; let gender: String; let ids: [Int32]; let logprob: Double; let probability: Double }
        struct Pronoun: Decodable { let pronoun: String; let ids: [Int32]; let probability: Double }
        struct Record: Decodable {
            let occupation: String, prompt: String, prompt_ids: [Int32], names: [Name], female_share: Double
            let pronoun_prompt: String, pronoun_prompt_ids: [Int32], pronouns: [Pronoun]
        }
        let template: String, pronoun_template: String, records: [Record]
    }

    /// Slow: SmolLM2-135M-Instruct, 3 occupations x 24 names (4 of several tokens) and 3 pronouns.
    func testNameProbabilitiesMatchTransformersOnSmolLM2() throws {
        guard ModelStore.standard().pulledFile(ModelCatalog.entry(named: "smollm2-135m-instruct")!) != nil else {
            throw XCTSkip("run `afina pull smollm2-135m-instruct` first (scripts/test.sh does)")
        }
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtures.appendingPathComponent("bias/names.json")))
        XCTAssertEqual(fixture.template, BiasTemplates.defaultNameTemplates[0], "regenerate the fixture with the new default")
        XCTAssertEqual(fixture.pronoun_template, BiasTemplates.defaultPronounTemplate)
        let loaded = try ModelLoader.load("smollm2-135m-instruct")
        let scorer = ContinuationScorer(loaded, batchSize: 3)   // several batches for 5 multi-token inputs + the prompt
        var worst = 0.0
        for record in fixture.records {
            XCTAssertEqual(BiasTemplates.render(fixture.template, occupation: record.occupation), record.prompt)
            XCTAssertEqual(scorer.encode(record.prompt, true), record.prompt_ids, record.prompt)
            for name in record.names { XCTAssertEqual(scorer.encode(" " + name.name, false), name.ids, name.name) }
            let mine = try scorer.logProbabilities(of: record.names.map(\.ids), after: record.prompt_ids)
            for (name, logprob) in zip(record.names, mine) {
                // Log space: 2e-3 is a 0.2% relative error on the probability, for 1e-2 and 1e-9 alike.
                XCTAssertEqual(logprob, name.logprob, accuracy: 2e-3, "\(record.occupation) \(name.name)")
                XCTAssertEqual(exp(logprob), name.probability, accuracy: 2e-3)
                worst = max(worst, abs(logprob - name.logprob))
            }
            let probe = BiasProbe(scorer: scorer, femaleNames: record.names.filter { $0.gender == "female" }.map(\.name),
                                  maleNames: record.names.filter { $0.gender == "male" }.map(\.name))
            XCTAssertEqual(try probe.nameShare(prompt: record.prompt).share, record.female_share, accuracy: 2e-3, record.occupation)
            XCTAssertEqual(scorer.encode(record.pronoun_prompt, true), record.pronoun_prompt_ids)
            let pronouns = try scorer.wordProbabilities(record.pronouns.map(\.pronoun), after: record.pronoun_prompt)
            for (p, theirs) in zip(pronouns, record.pronouns) {
                XCTAssertEqual(log(p), log(theirs.probability), accuracy: 2e-3, "\(record.occupation) \(theirs.pronoun)")
            }
        }
        print("bias probe: largest |log p - log p_transformers| over \(fixture.records.count * 24) names: \(worst)")
    }

    /// Batched, cache-shared scoring equals one plain forward per (prompt + continuation).
    func testContinuationScoringMatchesOneForwardPerContinuation() throws {
        let dir = try HFDirectory(url: fixtures.appendingPathComponent("models/llama"))
        let model = try ModelLoader.network(huggingFace: dir, backend: CPUBackend()).0 as! any CausalLM
        let prompt: [Int32] = [5, 17, 3, 9]
        // Shared prefixes, a prefix of another continuation, duplicates, single tokens.
        let continuations: [[Int32]] = [[7], [7, 8], [7, 8, 2], [11, 4], [7], [30, 31, 32, 33], [30, 31]]
        for batchSize in [1, 2, 16] {
            let scorer = ContinuationScorer(model: model, batchSize: batchSize) { _, _ in [] }
            let batched = try scorer.logProbabilities(of: continuations, after: prompt)
            for (c, value) in zip(continuations, batched) {
                let cache = model.makeCache(slots: 1, capacity: prompt.count + c.count)
                let logits = try model.logits([SequenceChunk(slot: 0, tokens: prompt + c)], cache: cache, allPositions: true)
                let rows = model.backend.floats(logits), v = logits.columns
                var expected = 0.0
                for (j, token) in c.enumerated() {
                    let row = Array(rows[(prompt.count - 1 + j) * v..<(prompt.count + j) * v]).map(Double.init)
                    let top = row.max()!
                    expected += row[Int(token)] - top - log(row.map { exp($0 - top) }.reduce(0, +))
                }
                XCTAssertEqual(value, expected, accuracy: 1e-5, "\(c) batch \(batchSize)")
            }
        }
        XCTAssertThrowsError(try ContinuationScorer(model: model) { _, _ in [] }.logProbabilities(of: [[]], after: prompt))
    }

    func result(_ name: String, share: Double, she: Double = 0.3, bls: Double?) -> OccupationBias {
        OccupationBias(occupation: name, femaleShare: share, templateShares: [share], nameMass: 0.1,
                       pronounShe: she, pronounHe: 0.5, pronounThey: 0.5 - she, blsFemale: bls)
    }

    func testSummaryStatisticsByHand() {
        let results = [result("a", share: 0.2, she: 0.1, bls: 0.1), result("b", share: 0.5, she: 0.3, bls: 0.5),
                       result("c", share: 0.9, she: 0.5, bls: 0.8), result("d", share: 0.6, bls: nil)]
        let s = BiasStatistics.summary(results, bootstrap: Bootstrap(resamples: 200, seed: 3))
        XCTAssertEqual(s.occupations, 4)
        XCTAssertEqual(s.meanFemaleShare.value, (0.2 + 0.5 + 0.9 + 0.6) / 4, accuracy: 1e-12)
        XCTAssertEqual(s.meanAbsDeviation.value, (0.3 + 0 + 0.4 + 0.1) / 4, accuracy: 1e-12)
        // Pearson over a, b, c only (d has no BLS share): x = [.2, .5, .9], y = [.1, .5, .8].
        let mx = 1.6 / 3, my = 1.4 / 3
        let x: [Double] = [0.2 - mx, 0.5 - mx, 0.9 - mx], y: [Double] = [0.1 - my, 0.5 - my, 0.8 - my]
        let sxy: Double = x[0] * y[0] + x[1] * y[1] + x[2] * y[2]
        let sxx: Double = x[0] * x[0] + x[1] * x[1] + x[2] * x[2], syy: Double = y[0] * y[0] + y[1] * y[1] + y[2] * y[2]
        let r = sxy / (sxx * syy).squareRoot()
        XCTAssertEqual(try XCTUnwrap(s.correlation).value, r, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(s.pronounCorrelation).value, BiasStatistics.pearson([0.1, 0.3, 0.5], [0.1, 0.5, 0.8])!,
                       accuracy: 1e-12)
        for stat in [s.meanFemaleShare, s.meanAbsDeviation, s.correlation!, s.meanPronounShe] {
            XCTAssertLessThanOrEqual(stat.lower, stat.value + 1e-12)
            XCTAssertGreaterThanOrEqual(stat.upper, stat.value - 1e-12)
            XCTAssertLessThan(stat.lower, stat.upper)
        }
        XCTAssertEqual(BiasStatistics.pearson([1, 2, 3], [2, 4, 6])!, 1, accuracy: 1e-12)
        XCTAssertEqual(BiasStatistics.pearson([1, 2, 3], [3, 2, 1])!, -1, accuracy: 1e-12)
        XCTAssertNil(BiasStatistics.pearson([1, 1, 1], [1, 2, 3]), "no spread, no correlation")
        XCTAssertNil(BiasStatistics.pearson([1], [1]))
    }

    func testBootstrapIntervalsAreSeeded() {
        let results = (0..<30).map { result("o\($0)", share: 0.5 + 0.4 * sin(Double($0)), bls: 0.5 + 0.3 * sin(Double($0) + 0.5)) }
        let a = BiasStatistics.summary(results, bootstrap: Bootstrap(seed: 7))
        let b = BiasStatistics.summary(results, bootstrap: Bootstrap(seed: 7))
        let c = BiasStatistics.summary(results, bootstrap: Bootstrap(seed: 8))
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a.meanFemaleShare.lower, c.meanFemaleShare.lower)
        XCTAssertEqual(a.meanFemaleShare.value, c.meanFemaleShare.value)
        XCTAssertGreaterThan(a.correlation!.value, 0.5)
        XCTAssertGreaterThan(a.correlation!.upper - a.correlation!.lower, 0.01)
    }

    func testJSONHasTheDocumentedKeys() throws {
        let results = [result("ceo", share: 0.1, she: 0.1, bls: 0.39), result("nurse", share: 0.8, she: 0.4, bls: 0.9),
                       result("x", share: 0.4, bls: nil), result("y", share: 0.45, she: 0.2, bls: 0.45)]
        let report = BiasReport(occupations: results, summary: BiasStatistics.summary(results, bootstrap: Bootstrap(resamples: 50)))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as? [String: Any])
        let rows = try XCTUnwrap(object["occupations"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["occupation"] as? String }, ["ceo", "nurse", "x", "y"])
        for key in ["female_share", "pronoun_she", "pronoun_he", "pronoun_they", "bls_female"] { XCTAssertNotNil(rows[0][key], key) }
        XCTAssertEqual(rows[0]["bls_female"] as? Double, 0.39)
        XCTAssertTrue(rows[2]["bls_female"] is NSNull)
        let summary = try XCTUnwrap(object["summary"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(summary["mean_female_share"] as? Double), 1.75 / 4, accuracy: 1e-12)
        let r = try XCTUnwrap(BiasStatistics.pearson([0.1, 0.8, 0.45], [0.39, 0.9, 0.45]))
        XCTAssertEqual(try XCTUnwrap(summary["correlation"] as? Double), r, accuracy: 1e-12, "over the three with a BLS share")
        let intervals = try XCTUnwrap(summary["intervals"] as? [String: [Double]])
        XCTAssertEqual(Set(intervals.keys), ["mean_female_share", "mean_abs_deviation", "correlation", "mean_pronoun_she",
                                             "pronoun_correlation"])
        XCTAssertTrue(report.table().contains(String(format: "correlation with BLS share of women: %.3f [", r)))
        let two = Array(results.prefix(2))
        XCTAssertNil(BiasStatistics.summary(two, bootstrap: Bootstrap(resamples: 10)).correlation, "two points always lie on a line")
    }

    func testTemplatesRenderAndParse() throws {
        XCTAssertEqual(BiasTemplates.render("The {occupation} said that", occupation: "ceo"), "The CEO said that")
        XCTAssertEqual(BiasTemplates.render("A {occupation}; the {occupation}", occupation: "nurse"), "A nurse; the nurse")
        XCTAssertEqual(try BiasTemplates.list("# mine\nThe {occupation} is\n\n  Ask the {occupation}:  \n"),
                       ["The {occupation} is", "Ask the {occupation}:"])
        XCTAssertThrowsError(try BiasTemplates.list("No blank here"))
        XCTAssertThrowsError(try BiasTemplates.list("# only a comment\n"))
        XCTAssertGreaterThanOrEqual(BiasTemplates.defaultNameTemplates.count, 3)
        let table = NameTable(male: ["james", "john", "robert"], female: ["mary", "patricia"])
        let top = BiasTemplates.topNames(table, count: 2)
        XCTAssertEqual(top.female, ["Mary", "Patricia"])
        XCTAssertEqual(top.male, ["James", "John"])
    }

    func testChartIsAnSVGWithABarAndAMarkPerOccupation() throws {
        let results = [result("nurse", share: 0.8, bls: 0.9), result("ceo & chief", share: 0.1, bls: 0.39),
                       result("x", share: 0.5, bls: nil)]
        let svg = BiasChart.svg(results)
        XCTAssertTrue(svg.hasPrefix("<?xml"))
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
        XCTAssertEqual(svg.components(separatedBy: "class=\"share\"").count - 1, 3)
        XCTAssertEqual(svg.components(separatedBy: "class=\"bls\"").count - 1, 2)
        XCTAssertTrue(svg.contains("ceo &amp; chief"))
        // Sorted by share: ceo (0.1) before x (0.5) before nurse (0.8).
        let order = ["ceo &amp; chief", "x</text>", "nurse"].map { svg.range(of: $0)!.lowerBound }
        XCTAssertEqual(order, order.sorted())
        // Well-formed XML.
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("afina-bias-\(UUID().uuidString).svg")
        defer { try? FileManager.default.removeItem(at: url) }
        try BiasChart.write(results, to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), svg)
    }
}
