// Perplexity against transformers on the tiny Llama fixture (token level:
// scripts/make_perplexity_fixture.py), text windows, and once on SmolLM2 when it is pulled.
import AfinaFormats
import AfinaHub
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaEval
@testable import AfinaModels

final class PerplexityTests: XCTestCase {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures")

    struct Fixture: Decodable {
        struct Sequence: Decodable { let tokens: [Int32]; let targets: [Bool]; let nll_sum: Double }
        let sequences: [Sequence]
        let target_count: Int
        let mean_nll: Double
        let perplexity: Double
    }

    func testMeanNLLMatchesTransformersOnTheFixtureModel() throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtures.appendingPathComponent("eval/perplexity.json")))
        let dir = try HFDirectory(url: fixtures.appendingPathComponent("models/llama"))
        let model = try XCTUnwrap(ModelLoader.network(huggingFace: dir, backend: CPUBackend()).0 as? any TrainableModel)
        let sequences = fixture.sequences.map { TrainingSequence(tokens: $0.tokens, targets: $0.targets) }
        for passSize in [1, 16, 4096] {   // one sequence per pass, some packed, all in one pass
            let report = try Perplexity.evaluate(model, sequences: sequences, tokensPerPass: passSize)
            XCTAssertEqual(report.tokens, fixture.target_count)
            XCTAssertEqual(report.sequences, 4)
            XCTAssertEqual(report.meanNLL, fixture.mean_nll, accuracy: 1e-5 * fixture.mean_nll, "pass of \(passSize) tokens")
            XCTAssertEqual(report.perplexity, fixture.perplexity, accuracy: 1e-4 * fixture.perplexity)
        }
        for s in fixture.sequences {   // per sequence too, so a masking slip cannot hide in the mean
            let one = try Perplexity.evaluate(model, sequences: [TrainingSequence(tokens: s.tokens, targets: s.targets)])
            XCTAssertEqual(one.meanNLL * Double(one.tokens), s.nll_sum, accuracy: 1e-5 * s.nll_sum)
        }
    }

    func testNoTargetTokensIsAnError() throws {
        let dir = try HFDirectory(url: fixtures.appendingPathComponent("models/llama"))
        let model = try XCTUnwrap(ModelLoader.network(huggingFace: dir, backend: CPUBackend()).0 as? any TrainableModel)
        XCTAssertThrowsError(try Perplexity.evaluate(model, sequences: [TrainingSequence(tokens: [1, 2], targets: [true, false])]))
    }

    func testTextWindowsScoreEveryTokenAfterTheFirstOnce() {
        let windows = Perplexity.textWindows(Array(0..<10), maxLength: 4)
        XCTAssertEqual(windows.map(\.tokens), [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
        XCTAssertEqual(windows.map(\.targetCount).reduce(0, +), 9)
        XCTAssertEqual(Perplexity.textWindows(Array(0..<5), maxLength: 4).map(\.tokens), [[0, 1, 2, 3], [3, 4]])
        XCTAssertEqual(Perplexity.textWindows([7], maxLength: 4), [], "one token predicts nothing")
    }

    func testPeakMemoryIsReadFromProc() throws {
        guard FileManager.default.fileExists(atPath: "/proc/self/status") else { throw XCTSkip("no /proc") }
        let peak = try XCTUnwrap(PeakMemory.peakResidentBytes())
        let now = try XCTUnwrap(PeakMemory.residentBytes())
        XCTAssertGreaterThanOrEqual(peak, now)
        XCTAssertGreaterThan(now, 1 << 20)
    }

    /// Slow: SmolLM2-135M-Instruct on a prompt/completion record and on plain text.
    func testSmolLM2PerplexityOfFiles() throws {
        guard ModelStore.standard().pulledFile(ModelCatalog.entry(named: "smollm2-135m-instruct")!) != nil else {
            throw XCTSkip("run `afina pull smollm2-135m-instruct` first (scripts/test.sh does)")
        }
        let loaded = try ModelLoader.load("smollm2-135m-instruct")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("afina-ppl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let jsonl = dir.appendingPathComponent("qa.jsonl"), text = dir.appendingPathComponent("story.txt")
        try Data(#"{"prompt": "What is the capital of France?", "completion": "The capital of France is Paris."}"#.utf8).write(to: jsonl)
        try Data("Once upon a time there was a little girl who lived in a village near the forest.".utf8).write(to: text)
        let answer = try Perplexity.evaluate(loaded, file: jsonl.path)
        let story = try Perplexity.evaluate(loaded, file: text.path)
        XCTAssertGreaterThan(answer.tokens, 5)
        XCTAssertEqual(story.tokens, loaded.tokenizer.encode(try String(contentsOf: text, encoding: .utf8)).count - 1)
        for report in [answer, story] {
            XCTAssertTrue(report.perplexity > 1 && report.perplexity < 100, "\(report)")
        }
    }
}
