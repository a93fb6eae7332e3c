// The training loop's promises: accumulating k micro-batches equals one k-times larger
// batch, a run resumed from a checkpoint ends with the same weights as an uninterrupted
// one, and a non-finite loss stops before touching the weights.
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels
@testable import AfinaTraining

final class TrainerTests: XCTestCase {
    let backend = CPUBackend()

    /// Eight short sequences cycled from the fixture batch, with distinct first tokens.
    func examples() throws -> [TrainingSequence] {
        let base = try fixtureBatch()
        return (0..<8).map { i in
            var s = base[i % base.count]
            s.tokens[0] = Int32(10 + i)
            return s
        }
    }

    func trainer(batchSize: Int, gradAccum: Int, dropout: Double = 0, seed: UInt64 = 7,
                 tokensPerPass: Int = 512) throws -> Trainer {
        let model = try tinyModel("llama3-rope", backend: backend)
        try model.attachAdapters(LoRAConfiguration(rank: 4, alpha: 8, dropout: dropout,
                                                   targets: LoRAConfiguration.allLinearModules),
                                 weights: nil, seed: seed)
        // B starts at zero; a nonzero B makes every adapter gradient count from step one.
        for p in model.parameters(.adapters) where p.name.contains("lora_B") {
            backend.assign((0..<p.value.count).map { Float(($0 % 7) - 3) * 0.01 }, to: p.value)
        }
        let optimizer = Optimizer(model.parameters(.adapters),
                                  settings: .adamW(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01),
                                  backend: backend)
        return Trainer(model: model, optimizer: optimizer, examples: try examples(), settings: Trainer.Settings(
            batchSize: batchSize, gradAccum: gradAccum, learningRate: 1e-2, schedule: .cosine, warmupSteps: 1,
            totalSteps: 6, maxGradNorm: 1, seed: seed, recompute: false, tokensPerPass: tokensPerPass))
    }

    func weights(_ t: Trainer) -> [[Float]] { t.optimizer.parameters.map { backend.floats($0.value) } }

    func testGradientAccumulationEqualsOneLargerBatch() throws {
        let large = try trainer(batchSize: 4, gradAccum: 1)
        let accumulated = try trainer(batchSize: 2, gradAccum: 2)
        for step in 1...3 {
            let (a, b) = (try large.trainStep(), try accumulated.trainStep())
            XCTAssertEqual(a.loss, b.loss, accuracy: 1e-5 * a.loss)
            XCTAssertEqual(a.targetTokens, b.targetTokens)
            guard step == 1 else { continue }  // later steps: see the comment below
            XCTAssertEqual(a.gradientNorm, b.gradientNorm, accuracy: 1e-5 * a.gradientNorm)
            for (x, y) in zip(large.gradients.tensors.map(backend.floats), accumulated.gradients.tensors.map(backend.floats)) {
                XCTAssertLessThanOrEqual(zip(x, y).map { abs($0 - $1) }.max()!, 1e-5 * x.map(abs).max()!)
            }
        }
    }

    /// These compare one step's (clipped) gradients: Adam's updates amplify the float rounding
    /// of tiny gradient entries into weight differences of order lr, so later weights are
    /// compared only through the loss.
    func testSplittingAMicroBatchIntoPassesChangesNothing() throws {
        let whole = try trainer(batchSize: 4, gradAccum: 1)
        let split = try trainer(batchSize: 4, gradAccum: 1, tokensPerPass: 8)
        XCTAssertEqual(split.passes(Array(try examples().prefix(4))).count, 4, "one sequence per pass")
        let (a, b) = (try whole.trainStep(), try split.trainStep())
        XCTAssertEqual(a.loss, b.loss, accuracy: 1e-6 * a.loss)
        for (x, y) in zip(whole.gradients.tensors.map(backend.floats), split.gradients.tensors.map(backend.floats)) {
            XCTAssertLessThanOrEqual(zip(x, y).map { abs($0 - $1) }.max()!, 1e-5 * x.map(abs).max()!)
        }
    }

    func testResumedRunEndsWithTheSameWeightsAsAnUninterruptedOne() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afina-resume-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let uninterrupted = try trainer(batchSize: 3, gradAccum: 1, dropout: 0.1)
        for _ in 0..<5 { _ = try uninterrupted.trainStep() }

        let first = try trainer(batchSize: 3, gradAccum: 1, dropout: 0.1)
        for _ in 0..<2 { _ = try first.trainStep() }
        try Checkpoint.write(first, state: LoopState(step: first.step, sampler: first.sampler, bestValidationLoss: 1.5,
                                                     evaluationsWithoutImprovement: 1), to: directory)
        for _ in 0..<2 { _ = try first.trainStep() }  // work lost when the process dies

        let resumed = try trainer(batchSize: 3, gradAccum: 1, dropout: 0.1, seed: 7)
        let latest = try XCTUnwrap(try Checkpoint.completed(in: directory).last)
        let state = try Checkpoint.restore(resumed, from: latest)
        XCTAssertEqual(state.step, 2)
        XCTAssertEqual(state.bestValidationLoss, 1.5)
        XCTAssertEqual(resumed.step, 2)
        for _ in 0..<3 { _ = try resumed.trainStep() }
        XCTAssertEqual(weights(resumed), weights(uninterrupted), "bit-identical weights after resuming")
    }

    func testCheckpointsAreWrittenWholeAndOnlyTheLatestIsKept() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afina-ckpt-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let t = try trainer(batchSize: 2, gradAccum: 1)
        for step in 1...2 {
            _ = try t.trainStep()
            try Checkpoint.write(t, state: LoopState(step: step, sampler: t.sampler, bestValidationLoss: nil,
                                                     evaluationsWithoutImprovement: 0), to: directory)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(names, ["step-000002"])
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(names[0]).path)
        XCTAssertEqual(Set(files), ["weights.safetensors", "optimizer.safetensors", "state.json"])
    }

    func testNonFiniteLossStopsBeforeTheUpdate() throws {
        let t = try trainer(batchSize: 2, gradAccum: 1)
        let poisoned = t.optimizer.parameters[0].value
        let llama = t.model as! Llama
        backend.assign([Float](repeating: .nan, count: llama.norm.count), to: llama.norm)
        let before = weights(t)
        XCTAssertThrowsError(try t.trainStep()) { error in
            guard case TrainingError.nonFiniteLoss(step: 1, _, _) = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(t.step, 0)
        XCTAssertEqual(backend.floats(poisoned).count, before[0].count)
        XCTAssertTrue(zip(weights(t), before).allSatisfy { $0 == $1 }, "weights untouched")
    }
}
