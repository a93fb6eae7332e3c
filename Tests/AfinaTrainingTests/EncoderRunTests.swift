// Whole encoder runs (`task: classification` / `masked_lm`) on the tiny random BERTs of
// Tests/Fixtures/models (scripts/make_bert_fixtures.py, with a real WordPiece tokenizer): the
// loss falls on a task a classifier can learn, metrics.jsonl carries accuracy and macro-F1,
// the written model or adapter reloads with the trained logits, a resumed run ends with the
// same weights, and bad data is refused naming the file and line.
import AfinaData
import AfinaModels
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaTraining

final class EncoderRunTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("afina-encoder-\(UUID())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    /// Texts whose label is told by their first word (one the tiny tokenizer knows whole).
    func writeRecords(_ name: String, count: Int, labels: [String] = ["negative", "neutral", "positive"]) throws -> String {
        let cue = ["world": "negative", "quick": "neutral", "Hello": "positive"]
        let words = ["world", "quick", "Hello"]
        let lines = (0..<count).map { i -> String in
            let word = words[i % 3]
            let label = labels.count == 3 ? cue[word]! : labels[i % labels.count]
            return #"{"text": "\#(word) text \#(i)", "label": "\#(label)"}"#
        }
        let url = work.appendingPathComponent(name)
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func config(_ extra: String, model: String = "bert-cls", task: String = "classification") throws -> TrainingConfig {
        try TrainingConfig(yaml: """
            model: \(fixtureRoot.appendingPathComponent("models/\(model)").path)
            task: \(task)
            data: {train: \(try writeRecords("train.jsonl", count: 24)), validation: \(try writeRecords("valid.jsonl", count: 9))}
            batch_size: 6
            learning_rate: 3e-3
            lr_schedule: constant
            output_dir: \(work.path)/run
            \(extra)
            """)
    }

    func testClassificationLearnsItsCueAndWritesAModelThatReloadsWithTheSameLogits() throws {
        let run = try EncoderFineTuneRun(config: try config("method: full\nmax_steps: 80\neval_every: 80"), resume: false)
        XCTAssertEqual(run.labels, ["negative", "neutral", "positive"])
        var losses: [Double] = [], validation: Validation?
        try run.run { event in
            if case let .step(result, _) = event { losses.append(result.loss) }
            if case let .validation(_, result) = event { validation = result }
            return true
        }
        XCTAssertLessThan(losses.suffix(3).reduce(0, +) / 3, losses.prefix(3).reduce(0, +) / 3 * 0.5, "loss halves")
        XCTAssertEqual(try XCTUnwrap(validation?.accuracy), 100, "the cue word decides the label")
        let records = try MetricsLog.read(work.appendingPathComponent("run/metrics.jsonl"))
        XCTAssertEqual(records.last?.macroF1, 100)

        let written = try ModelLoader.loadNetwork(work.appendingPathComponent("run/model").path)
        let reloaded = try written.require((any SequenceClassifier).self, .sequenceClassifier)
        XCTAssertEqual(reloaded.labels, run.labels)
        let inputs = run.validation.map(\.input)
        let trained = try XCTUnwrap(run.trainer.model as? any SequenceClassifier)
        XCTAssertEqual(reloaded.backend.floats(try reloaded.classificationLogits(inputs)),
                       trained.backend.floats(try trained.classificationLogits(inputs)))
    }

    func testAResumedClassifierRunEndsWithTheSameAdapterAsAnUnbrokenOne() throws {
        let settings = "method: lora\nlora: {rank: 2, alpha: 4, dropout: 0.1}\nsave_every: 2"
        let whole = try EncoderFineTuneRun(config: try config(settings + "\nmax_steps: 4"), resume: false)
        try whole.run()
        let unbroken = try Data(contentsOf: work.appendingPathComponent("run/adapter/adapter_model.safetensors"))
        try FileManager.default.removeItem(at: work.appendingPathComponent("run"))

        try EncoderFineTuneRun(config: try config(settings + "\nmax_steps: 2"), resume: false).run()
        let resumed = try EncoderFineTuneRun(config: try config(settings + "\nmax_steps: 4"), resume: true)
        XCTAssertEqual(resumed.completedSteps, 2)
        try resumed.run()
        XCTAssertEqual(try Data(contentsOf: work.appendingPathComponent("run/adapter/adapter_model.safetensors")), unbroken)
        let adapter = try String(contentsOf: work.appendingPathComponent("run/adapter/adapter_config.json"), encoding: .utf8)
        XCTAssertTrue(adapter.contains("\"SEQ_CLS\"") && adapter.contains("\"classifier\""), adapter)
    }

    func testMaskedLMTuningRunsAndItsLossIsFinite() throws {
        let run = try EncoderFineTuneRun(config: try config("method: lora\nmax_steps: 3", model: "bert-mlm", task: "masked_lm"),
                                         resume: false)
        var losses: [Double] = []
        try run.run { event in
            if case let .step(result, _) = event { losses.append(result.loss) }
            return true
        }
        XCTAssertEqual(losses.count, 3)
        XCTAssertTrue(losses.allSatisfy { $0.isFinite && $0 > 0 }, "\(losses)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("run/adapter/adapter_model.safetensors").path))
    }

    func testAnEncoderTaskOnADecoderNamesBothKeys() throws {
        let home = ProcessInfo.processInfo.environment["AFINA_CACHE"] ?? NSHomeDirectory() + "/.cache/afina"
        guard FileManager.default.fileExists(atPath: home + "/models/smollm2-135m-instruct") else {
            throw XCTSkip("run `afina pull smollm2-135m-instruct` first")
        }
        var decoder = try config("max_steps: 1")
        decoder.model = "smollm2-135m-instruct"
        XCTAssertThrowsError(try FineTune.recipe(decoder, resume: false)) { error in
            XCTAssertTrue("\(error)".contains("task: classification trains encoders, but model: smollm2-135m-instruct is a "
                + "llama decoder; use task: causal_lm"), "\(error)")
        }
    }

    func testContrastiveTuningLowersItsLossAndWritesAnEncoderThatEmbedsAsTrained() throws {
        let words = ["Hello", "world", "quick", "text", "state", "art", "well", "known", "new", "rare", "English", "emoji"]
        let lines = (0..<24).map { i in
            #"{"anchor": "\#(words[i % 12]) \#(words[(i + 5) % 12])", "positive": "\#(words[i % 12]) \#(words[(i + 5) % 12]) \#(i)"}"#
        }
        let train = work.appendingPathComponent("pairs.jsonl")
        try lines.joined(separator: "\n").write(to: train, atomically: true, encoding: .utf8)
        let config = try TrainingConfig(yaml: """
            model: \(fixtureRoot.appendingPathComponent("models/bert-base").path)
            task: embedding
            method: full
            data: {train: \(train.path)}
            batch_size: 8
            learning_rate: 1e-3
            lr_schedule: constant
            max_steps: 30
            output_dir: \(work.path)/run
            """)
        let run = try EncoderFineTuneRun(config: config, resume: false)
        var losses: [Double] = []
        try run.run { event in
            if case let .step(result, _) = event { losses.append(result.loss) }
            return true
        }
        XCTAssertLessThan(losses.suffix(5).reduce(0, +), losses.prefix(5).reduce(0, +) * 0.5, "\(losses)")
        let written = try EncoderSession(ModelLoader.loadNetwork(work.appendingPathComponent("run/model").path))
        let inputs = written.inputs(["Hello world", "rare emoji"]).inputs
        XCTAssertEqual(written.encoder.backend.floats(try written.encoder.hiddenStates(inputs)),
                       run.trainer.model.backend.floats(try run.trainer.model.hiddenStates(inputs)))
    }

    func testBadEncoderDataAndSettingsAreRefusedClearly() throws {
        let valid = work.appendingPathComponent("unseen.jsonl")
        try #"{"text": "good day", "label": "positive"}"# .appending("\n" + #"{"text": "odd day", "label": "surprised"}"#)
            .write(to: valid, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EncoderFineTuneRun(config: try config("max_steps: 1", model: "bert-cls")
            .with { $0.data.validation = valid.path }, resume: false)) { error in
            XCTAssertTrue("\(error)".contains("unseen.jsonl:2: label 'surprised' does not occur in the training data"), "\(error)")
        }
        let missing = work.appendingPathComponent("missing.jsonl")
        try #"{"text": "good day"}"#.write(to: missing, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TextRecord.load(from: missing, shape: .labeled)) { error in
            XCTAssertTrue("\(error)".contains("missing.jsonl:1: missing \"label\""), "\(error)")
        }
        XCTAssertThrowsError(try EncoderFineTuneRun(config: try config("max_steps: 1", task: "masked_lm"), resume: false)) { error in
            XCTAssertTrue("\(error)".contains("not a masked language model"), "\(error)")
        }
        XCTAssertThrowsError(try FineTune.recipe(try config("max_steps: 1", task: "causal_lm"), resume: false)) { error in
            XCTAssertTrue("\(error)".contains("task: causal_lm trains decoders, but model: "), "\(error)")
            XCTAssertTrue("\(error)".contains("is a bert encoder; use task: classification, masked_lm or embedding"), "\(error)")
        }
        XCTAssertThrowsError(try EncoderFineTuneRun(config: try config("max_steps: 1\nmethod: qlora"), resume: false)) { error in
            XCTAssertTrue("\(error)".contains("use lora"), "\(error)")
        }
    }
}

extension TrainingConfig {
    func with(_ change: (inout TrainingConfig) -> Void) -> TrainingConfig {
        var copy = self
        change(&copy)
        return copy
    }
}
