// Whole `afina train` runs of the tiny T5 v1.1 (scripts/make_t5_fixtures.py, its Unigram
// tokenizer beside it): full fine-tuning on three made-up facts in CoEdIT's {"src", "tgt"}
// shape until greedy generation gives each answer exactly, the written model reloading with
// the same answers; a LoRA run's adapter reloading with the trained logits.
import AfinaData
import AfinaModels
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaTraining

final class T5RunTests: XCTestCase {
    var work: URL!
    let facts = [("Where does the committee walk?", "to the park"), ("What is wonderful?", "the house"),
                 ("Who drinks water?", "la niña")]

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("afina-t5-\(UUID())")
        let model = work.appendingPathComponent("t5")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        for (folder, file) in [("models/t5-v1_1", "config.json"), ("models/t5-v1_1", "model.safetensors"),
                               ("tokenizer/t5", "tokenizer.json")] {
            try FileManager.default.copyItem(at: fixtureRoot.appendingPathComponent("\(folder)/\(file)"),
                                             to: model.appendingPathComponent(file))
        }
        let lines = facts.map { #"{"src": "\#($0.0)", "tgt": "\#($0.1)"}"# }
        try lines.joined(separator: "\n").write(to: work.appendingPathComponent("facts.jsonl"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: work) }

    func config(_ extra: String) throws -> TrainingConfig {
        try TrainingConfig(yaml: """
            model: \(work.appendingPathComponent("t5").path)
            data: {train: \(work.appendingPathComponent("facts.jsonl").path)}
            batch_size: 3
            lr_schedule: constant
            output_dir: \(work.path)/run
            \(extra)
            """)
    }

    /// Each fact's greedy answer from `model`.
    func answers(_ model: any CausalLM, _ loaded: LoadedModel) throws -> [String] {
        let requests = facts.map { GenerationRequest(prompt: loaded.tokenizer.encode($0.0), maxTokens: 12, stopTokens: loaded.stopTokens) }
        return try Generator(model: model, decode: { loaded.tokenizer.decode($0) }).generate(requests).map(\.text)
    }

    func testFullFineTuningLearnsThreeFactsExactlyAndTheWrittenModelAnswersTheSame() throws {
        let run = try FineTuneRun(config: try config("method: full\nmax_steps: 60\nlearning_rate: 5e-3"), resume: false)
        // The run keeps the float copy it trains, not the loaded weights beside it.
        XCTAssertTrue(run.base.model as AnyObject === run.trainer.model as AnyObject)
        let base = try ModelLoader.load(work.appendingPathComponent("t5").path)
        XCTAssertEqual(facts.map { base.tokenizer.decode(base.tokenizer.encode($0.1, addSpecial: false)) }, facts.map(\.1),
                       "every answer is spelled by the tiny vocabulary")
        XCTAssertNotEqual(try answers(base.model, base), facts.map(\.1))
        try run.run()
        XCTAssertEqual(try answers(run.trainer.model, base), facts.map(\.1))
        let written = try ModelLoader.load(work.appendingPathComponent("run/model").path)
        XCTAssertEqual(try answers(written.model, written), facts.map(\.1))
    }

    func testALoRARunTakesT5sTargetsAndItsAdapterReloadsWithTheTrainedLogits() throws {
        let run = try FineTuneRun(config: try config("method: lora\nmax_steps: 3\nlearning_rate: 1e-2"), resume: false)
        XCTAssertEqual(run.config.lora.targets, ["q", "v"])
        XCTAssertEqual(run.trainer.model.parameters(.adapters).count, 2 * 2 * (2 + 3 * 2), "q and v of every attention")
        try run.run()
        let adapter = try ModelLoader.load(work.appendingPathComponent("run/adapter").path)
        let input = adapter.tokenizer.encode(facts[0].0)
        func firstLogits(_ model: any CausalLM) throws -> [Float] {
            model.backend.floats(try model.logits([SequenceChunk(slot: 0, tokens: input)], cache: model.makeCache(slots: 1, capacity: 4),
                                                  allPositions: false))
        }
        XCTAssertEqual(try firstLogits(adapter.model), try firstLogits(run.trainer.model))
    }
}
