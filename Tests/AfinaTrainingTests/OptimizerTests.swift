// Optimizer steps and schedules against PyTorch / transformers
// (fixtures: scripts/make_training_fixtures.py). Parameters after two steps within 1e-4
// relative per tensor; schedule multipliers within 1e-12.
import AfinaFormats
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels
@testable import AfinaTraining

let fixtureRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../Fixtures").standardized

func tinyModel(_ variant: String, backend: CPUBackend) throws -> Llama {
    let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/\(variant)"))
    return try (ModelLoader.network(huggingFace: dir, backend: backend).0 as! Llama).floatCopy()
}

func fixtureBatch() throws -> [TrainingSequence] {
    struct Record: Decodable { let tokens: [Int32]; let targets: [Bool] }
    let data = try Data(contentsOf: fixtureRoot.appendingPathComponent("training/batch.json"))
    return try JSONDecoder().decode([Record].self, from: data).map { TrainingSequence(tokens: $0.tokens, targets: $0.targets) }
}

func fixtureFloats(_ path: String, backend: CPUBackend) throws -> [String: [Float]] {
    let file = try SafetensorsFile(url: fixtureRoot.appendingPathComponent(path))
    return try Dictionary(uniqueKeysWithValues: file.tensorNames.map { name in
        let t = try file.tensor(named: name)
        return (name, backend.floats(backend.tensor(bytes: t.bytes, dtype: t.dtype, shape: t.shape, owner: nil)))
    })
}

final class OptimizerTests: XCTestCase {
    let backend = CPUBackend()

    func assertParameters(_ model: Llama, match path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try fixtureFloats(path, backend: backend)
        for p in model.parameters(.all) {
            let (actual, expected) = (backend.floats(p.value), reference[p.name]!)
            let scale = expected.map(abs).max()!
            let worst = zip(actual, expected).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(worst / scale, 1e-4, "\(p.name): max error \(worst)", file: file, line: line)
        }
    }

    func testClippingNormsMatchPyTorch() throws {
        let model = try tinyModel("qwen2", backend: backend)
        let batch = try fixtureBatch()
        let count = batch.map(\.targetCount).reduce(0, +)
        let gradients = Gradients(model.parameters(.all), backend: backend)
        _ = model.loss(batch, gradients: gradients, lossScale: 1 / Float(count), dropoutSeed: 0, recompute: false)
        let norm = clipGradientNorm(gradients, maxNorm: 1, backend: backend)
        let expected = Double(try fixtureFloats("training/qwen2/adamw.safetensors", backend: backend)["grad_norms"]![0])
        XCTAssertEqual(norm, expected, accuracy: 1e-5 * expected)
        let after = gradients.tensors.map { backend.sumOfSquares($0) }.reduce(0, +).squareRoot()
        XCTAssertEqual(after, min(expected, 1), accuracy: 1e-5)
    }

    /// AdamW fed PyTorch's own (clipped) gradients must land on PyTorch's parameters: the
    /// rule is checked apart from gradient rounding, which Adam amplifies where |g| is tiny.
    func testTwoAdamWStepsMatchPyTorchsUpdateRule() throws {
        let model = try tinyModel("qwen2", backend: backend)
        let reference = try fixtureFloats("training/qwen2/adamw.safetensors", backend: backend)
        let parameters = model.parameters(.all)
        let optimizer = Optimizer(parameters, settings: .adamW(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1),
                                  backend: backend)
        for step in 1...2 {
            let gradients = Gradients(parameters, backend: backend)
            for p in parameters { backend.assign(reference["step\(step).\(p.name)"]!, to: gradients[p.value]!) }
            optimizer.update(gradients, learningRate: 1e-2)
        }
        for p in parameters {
            let (actual, expected) = (backend.floats(p.value), reference[p.name]!)
            let worst = zip(actual, expected).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(worst, 1e-6 * expected.map(abs).max()!, "\(p.name): max error \(worst)")
        }
    }

    func testTwoSGDMomentumStepsMatchPyTorch() throws {
        // PyTorch's SGD decays every parameter here (one group), so decay applies to norms too.
        let model = try tinyModel("llama", backend: backend)
        let batch = try fixtureBatch()
        let count = batch.map(\.targetCount).reduce(0, +)
        let parameters = model.parameters(.all)
        let optimizer = Optimizer(parameters, settings: .sgd(momentum: 0.9, weightDecay: 0.01), backend: backend)
        for _ in 0..<2 {
            let gradients = Gradients(parameters, backend: backend)
            _ = model.loss(batch, gradients: gradients, lossScale: 1 / Float(count), dropoutSeed: 0, recompute: false)
            // Norm weights get decay in the reference: add it to their gradients here.
            for p in parameters where !p.decays { backend.axpy(0.01, p.value, into: gradients[p.value]!) }
            optimizer.update(gradients, learningRate: 0.1)
        }
        try assertParameters(model, match: "training/llama/sgd.safetensors")
    }

    func testSchedulesMatchTransformers() throws {
        struct Fixture: Decodable { let warmup_steps: Int; let total_steps: Int; let multipliers: [String: [Double]] }
        let data = try Data(contentsOf: fixtureRoot.appendingPathComponent("training/schedules.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        for schedule in LearningRateSchedule.allCases {
            let expected = fixture.multipliers[schedule.rawValue]!
            for (step, value) in expected.enumerated() {
                XCTAssertEqual(schedule.multiplier(step: step, warmupSteps: fixture.warmup_steps,
                                                   totalSteps: fixture.total_steps), value, accuracy: 1e-12,
                               "\(schedule) at step \(step)")
            }
        }
    }
}
