// SEAT (May et al. 2019) against scripts/make_seat_fixtures.py, a port of sent-bias's weat.py:
// effect sizes and exact p-values on random embeddings (Tests/Fixtures/bias/seat.json, tests
// file seat_tests.jsonl); the sampled p-value, tests-file errors, degenerate embeddings, the
// default tests and the report.
import Foundation
import XCTest
@testable import AfinaEval

final class SEATTests: XCTestCase {
    let bias = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/bias")

    struct Fixture: Decodable {
        struct Expected: Decodable {
            let name: String, targets: [String], attributes: [String]
            let effect_size: Double, p_value: Double, partitions: Int
        }
        let vectors: [String: [Float]]
        let tests: [Expected]
    }

    func fixture() throws -> (Fixture, [SEATTest]) {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: bias.appendingPathComponent("seat.json")))
        return (fixture, try SEATTest.load(from: bias.appendingPathComponent("seat_tests.jsonl")))
    }

    func testEffectSizesAndExactPValuesMatchSentBias() throws {
        let (fixture, tests) = try fixture()
        var calls: [[String]] = []
        let results = try SEAT.run(tests) { sentences in
            calls.append(sentences)
            return sentences.map { fixture.vectors[$0]! }
        }
        XCTAssertEqual(results.count, fixture.tests.count)
        for (test, (result, expected)) in zip(tests, zip(results, fixture.tests)) {
            XCTAssertEqual(result.name, expected.name)
            XCTAssertEqual(result.targets, expected.targets, "X and Y in the line's order")
            XCTAssertEqual(result.attributes, expected.attributes)
            XCTAssertEqual(result.effectSize, expected.effect_size, accuracy: 1e-9, result.name)
            XCTAssertEqual(result.pValue, expected.p_value, result.name)
            XCTAssertEqual(result.partitions, expected.partitions)
            XCTAssertTrue(result.exact)
            XCTAssertEqual(result.targetSizes, [test.x.sentences.count, test.y.sentences.count])
        }
        // One call per test, each sentence once (the first test has a sentence in both X and A).
        XCTAssertEqual(calls.count, tests.count)
        for (call, test) in zip(calls, tests) {
            let all = [test.x, test.y, test.a, test.b].flatMap(\.sentences)
            var seen = Set<String>()
            XCTAssertEqual(call, all.filter { seen.insert($0).inserted })
            if test.name == "shifted" { XCTAssertLessThan(call.count, all.count) }
        }
    }

    func testSampledPValueRepeatsForASeedAndIsNearTheExactOne() throws {
        let (fixture, tests) = try fixture()
        let expected = try XCTUnwrap(fixture.tests.first { $0.partitions > 10_000 })
        let test = try XCTUnwrap(tests.first { $0.name == expected.name })
        func sampled(seed: UInt64) throws -> SEATResult {
            try SEAT.run([test], embed: { $0.map { fixture.vectors[$0]! } }, permutations: 10_000, seed: seed)[0]
        }
        let first = try sampled(seed: 3)
        XCTAssertFalse(first.exact)
        XCTAssertEqual(first.partitions, 10_000)
        XCTAssertEqual(try sampled(seed: 3).pValue, first.pValue)
        XCTAssertEqual(first.pValue, expected.p_value, accuracy: 0.01)
        XCTAssertEqual(first.effectSize, expected.effect_size, accuracy: 1e-9)
    }

    func testBadLinesNameTheFileAndLine() {
        let good = #"{"name": "t", "targets": {"X": ["a.", "b."], "Y": ["c.", "d."]}, "#
            + #""attributes": {"A": ["e.", "f."], "B": ["g.", "h."]}}"#
        let bad = [
            (#"{"name": "t", "targets": {"X": ["a.", "b."], "Y": ["c.", "d."]}}"#, #"missing "attributes""#),
            (good.replacingOccurrences(of: #""Y": ["c.", "d."]"#, with: #""Y": ["c.", "d."], "Z": ["i.", "j."]"#),
             #""targets" has 3 sets (X, Y, Z); expected exactly 2"#),
            (good.replacingOccurrences(of: #"["e.", "f."]"#, with: "[]"), #"set "A" is empty"#),
            (good.replacingOccurrences(of: #"["g.", "h."]"#, with: #"["g."]"#), #"set "B" has 1 sentence"#),
            (good.replacingOccurrences(of: #""name": "t", "#, with: ""), #"missing string "name""#),
            ("{\"name\": \"t\",", "invalid JSON"),
        ]
        for (line, message) in bad {
            XCTAssertThrowsError(try SEATTest.parse(good + "\n\n" + line + "\n", path: "tests.jsonl")) { error in
                XCTAssertTrue("\(error)".hasPrefix("tests.jsonl:3: "), "\(error)")
                XCTAssertTrue("\(error)".contains(message), "\(error) lacks \(message)")
            }
        }
        XCTAssertEqual(try SEATTest.parse(good + "\r\n", path: "tests.jsonl").first?.x.sentences, ["a.", "b."])
    }

    func testZeroSpreadOfTargetAssociationsIsAnError() {
        let test = SEATTest(name: "flat", x: .init("X", ["x1", "x2"]), y: .init("Y", ["y1", "y2"]),
                            a: .init("A", ["a1", "a2"]), b: .init("B", ["b1", "b2"]))
        // Every target embeds to the same vector, so s(w) is one number and its deviation 0.
        let embed: ([String]) -> [[Float]] = { $0.map { $0.hasPrefix("a") ? [1, 0] : $0.hasPrefix("b") ? [0, 1] : [1, 1] } }
        XCTAssertThrowsError(try SEAT.run([test], embed: embed)) { error in
            XCTAssertTrue("\(error)".contains("\"flat\""), "\(error)")
            XCTAssertTrue("\(error)".contains("effect size is undefined"), "\(error)")
        }
        XCTAssertThrowsError(try SEAT.run([test], embed: { $0.map { _ in [0, 0] } })) { error in
            XCTAssertTrue("\(error)".contains("no cosine"), "\(error)")
        }
        XCTAssertThrowsError(try SEAT.run([test], embed: { $0.dropLast().map { _ in [1, 0] } })) { error in
            XCTAssertTrue("\(error)".contains("returned 7 vectors for 8 sentences"), "\(error)")
        }
    }

    func testDefaultTestsAreBleachedSentencesOfDistinctWords() {
        XCTAssertEqual(SEAT.defaultTests.map(\.name), ["sent-weat6", "sent-weat7", "sent-weat8", "sent-winobias-occupations"])
        for test in SEAT.defaultTests {
            XCTAssertNil(test.problem)
            for set in [test.x, test.y, test.a, test.b] {
                XCTAssertEqual(Set(set.sentences).count, set.sentences.count, "\(test.name) \(set.name) repeats a sentence")
                for sentence in set.sentences {
                    XCTAssertTrue(sentence.first!.isUppercase && sentence.hasSuffix(".") && !sentence.contains("{"), sentence)
                }
            }
            XCTAssertTrue(Set(test.x.sentences).isDisjoint(with: test.y.sentences), test.name)
        }
        let weat6 = SEAT.defaultTests[0]
        XCTAssertTrue(weat6.x.sentences.contains("The person's name is John."))
        XCTAssertTrue(weat6.a.sentences.contains("These are salaries."))
        XCTAssertTrue(weat6.b.sentences.contains("These are children."))
        let occupations = SEAT.defaultTests[3]
        XCTAssertEqual(occupations.x.sentences.count, occupations.y.sentences.count)
        XCTAssertTrue(occupations.x.sentences.contains("This is a nurse."))
        XCTAssertTrue(occupations.y.sentences.contains("The salespeople are here."))
        XCTAssertTrue(occupations.y.sentences.contains("A CEO is a person."))
        XCTAssertEqual(occupations.a.sentences, weat6.y.sentences, "female names are A")
    }

    func testReportWritesSnakeCaseJSONAndAMarkdownRowPerTest() throws {
        let (fixture, tests) = try fixture()
        let results = try SEAT.run(tests) { $0.map { fixture.vectors[$0]! } }
        let json = try SEATReport(tests: results).json()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(object["tests"] as? [[String: Any]])
        XCTAssertEqual(rows.count, results.count)
        XCTAssertEqual(Set(rows[0].keys), ["name", "effect_size", "p_value", "targets", "attributes", "target_sizes",
                                           "attribute_sizes", "partitions", "exact"])
        XCTAssertEqual(rows[0]["name"] as? String, results[0].name)
        // Values through JSONDecoder: Linux's JSONSerialization may miss a double's last digit.
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        XCTAssertEqual(try decoder.decode(SEATReport.self, from: Data(json.utf8)).tests, results)

        let table = SEATReport.markdown(results).split(separator: "\n")
        XCTAssertEqual(table.count, results.count + 3)   // header, rule, rows, note
        let r = results[0], row = String(table[2])
        XCTAssertTrue(row.hasPrefix("| \(r.name) | \(r.targets[0]) (\(r.targetSizes[0])) vs "
            + "\(r.targets[1]) (\(r.targetSizes[1])) | \(r.attributes[0]) (\(r.attributeSizes[0])) vs "
            + "\(r.attributes[1]) (\(r.attributeSizes[1])) | "), row)
        XCTAssertTrue(row.contains(String(format: "| %.3f |", r.effectSize)), row)
        XCTAssertTrue(row.hasSuffix("| \(r.partitions) (all) |"), row)
    }
}
