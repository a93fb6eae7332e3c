// The evaluation loop on a scripted model whose next token is always (last token + 1) mod 8,
// so the predictions follow from the prompts alone; and once on SmolLM2 when it is pulled.
import AfinaHub
import AfinaModels
import AfinaTensor
import XCTest
@testable import AfinaEval

/// Logits that put the most mass on (last token + 1) mod V; it needs no cache contents.
final class CountingModel: CausalLM, @unchecked Sendable {
    let backend: any Backend = CPUBackend()
    let vocabularySize = 8
    let contextLength = 16
    func makeCache(slots: Int, capacity: Int) -> KVCache {
        KVCache(backend: backend, layers: 1, slots: slots, capacity: capacity, width: 1)
    }
    func logits(_ chunks: [SequenceChunk], cache: KVCache, allPositions: Bool) throws -> Tensor {
        var values: [Float] = []
        for chunk in chunks {
            let next = (Int(chunk.tokens.last!) + 1) % vocabularySize
            values += (0..<vocabularySize).map { Float(-((($0 - next) + vocabularySize) % vocabularySize)) }
        }
        return backend.tensor(values, shape: [chunks.count, vocabularySize])
    }
}

final class TaskEvaluatorTests: XCTestCase {
    let letters = Array("abcdefgh")

    func evaluate(_ examples: [TaskExample], _ options: TaskOptions) throws -> TaskReport {
        try TaskEvaluator.evaluate(
            CountingModel(), name: "counting", on: examples, options: options,
            encodePrompt: { $0.map { Int32(self.letters.firstIndex(of: $0)!) } },
            decode: { String($0.map { self.letters[Int($0)] }) }, stopTokens: [7])
    }

    func testPredictionsAreScoredAcrossBatchesAndMissesKept() throws {
        // "a" -> "bcd", "e" -> "fg" (7 = "h" stops), "c" -> "def", "b" -> "cde".
        let examples = [TaskExample(prompt: "a", references: ["bcd."]),
                        TaskExample(prompt: "e", references: ["xx", "fg"]),
                        TaskExample(prompt: "c", references: ["de"]),
                        TaskExample(prompt: "b", references: ["cd"])]
        var batches: [Int] = []
        let report = try TaskEvaluator.evaluate(
            CountingModel(), name: "counting", on: examples, options: TaskOptions(maxTokens: 3, batchSize: 3, keptMisses: 1),
            encodePrompt: { $0.map { Int32(self.letters.firstIndex(of: $0)!) } },
            decode: { String($0.map { self.letters[Int($0)] }) }, stopTokens: [7], progress: { done, _ in batches.append(done) })
        XCTAssertEqual(report.count, 4)
        XCTAssertEqual(report.exactMatch, 50)
        XCTAssertEqual(batches, [3, 4])
        XCTAssertEqual(report.misses, [TaskReport.Miss(prompt: "c", prediction: "def", references: ["de"])])
        XCTAssertEqual(report.chrf!, CHRF.corpusScore(hypotheses: ["bcd", "fg", "def", "cde"],
                                                      references: examples.map(\.references)), accuracy: 1e-12)
        XCTAssertEqual(report.scores.map(\.metric), [.exactMatch, .chrf], "the default metrics")
        XCTAssertLessThanOrEqual(report[.exactMatch]!.lower!, 50)
        XCTAssertGreaterThanOrEqual(report[.exactMatch]!.upper!, 50)
        XCTAssertGreaterThan(report.tokensPerSecond, 0)
    }

    func testChosenMetricsAreReportedInOrderAndSARIUsesTheSources() throws {
        let examples = [TaskExample(prompt: "a", references: ["bcd"], source: "bcc"),
                        TaskExample(prompt: "c", references: ["dex"], source: "dxx")]
        let report = try evaluate(examples, TaskOptions(maxTokens: 3, metrics: [.sari, .bleu, .rougeL], bootstrap: nil))
        XCTAssertEqual(report.scores.map(\.metric), [.sari, .bleu, .rougeL])
        XCTAssertEqual(report[.sari]!.value!, SARI.corpusScore(sources: ["bcc", "dxx"], predictions: ["bcd", "def"],
                                                                references: [["bcd"], ["dex"]]), accuracy: 1e-9)
        XCTAssertNil(report[.bleu]!.lower, "no bootstrap asked for")
    }

    func testTooLongPromptNamesTheExample() {
        let examples = [TaskExample(prompt: "a", references: ["b"]),
                        TaskExample(prompt: String(repeating: "a", count: 16), references: ["b"])]
        XCTAssertThrowsError(try evaluate(examples, TaskOptions())) { error in
            XCTAssertTrue("\(error)".hasPrefix("example 2: the prompt has 16 tokens"), "\(error)")
        }
    }

    /// The one slow test: SmolLM2-135M-Instruct answers through its chat template.
    func testSmolLM2AnswersAFactualQuestion() throws {
        guard ModelStore.standard().pulledFile(ModelCatalog.entry(named: "smollm2-135m-instruct")!) != nil else {
            throw XCTSkip("run `afina pull smollm2-135m-instruct` first (scripts/test.sh does)")
        }
        let loaded = try ModelLoader.load("smollm2-135m-instruct")
        let examples = [TaskExample(prompt: "What is the capital of France?", references: ["Paris"]),
                        TaskExample(prompt: "Say hello.", references: ["Hello"])]
        let report = try TaskEvaluator.evaluate(loaded, name: "smollm2", on: examples, options: TaskOptions(maxTokens: 16))
        XCTAssertEqual(report.count, 2)
        XCTAssertTrue(report.misses.first?.prediction.contains("Paris") == true, "\(report.misses)")
        XCTAssertGreaterThan(report.chrf!, 0)
        XCTAssertGreaterThan(report.tokensPerSecond, 0)
    }
}
