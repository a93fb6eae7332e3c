// Distillation in the training loop: a cache keeping every token equals the teacher run
// online, a cache refuses data it was not made for, on-policy batches repeat exactly under
// the same seed, and the metrics carry the loss's parts. (The divergences themselves are
// checked against PyTorch in AfinaModelsTests/DistillationTests.)
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels
@testable import AfinaTraining

final class DistillationTrainingTests: XCTestCase {
    let backend = CPUBackend()
    let loss = DistillationLoss(divergence: .forwardKL, temperature: 2, alpha: 0.25)

    func examples() throws -> [TrainingSequence] {
        let base = try fixtureBatch()
        return (0..<6).map { i in
            var s = base[i % base.count]
            s.tokens[0] = Int32(20 + i)
            return s
        }
    }

    func trainer(_ distillation: (Llama) throws -> Distillation) throws -> Trainer {
        let student = try tinyModel("llama", backend: backend)
        let optimizer = Optimizer(student.parameters(.all), settings: .sgd(momentum: 0, weightDecay: 0), backend: backend)
        return Trainer(model: student, optimizer: optimizer, examples: try examples(), settings: Trainer.Settings(
            batchSize: 2, gradAccum: 2, learningRate: 0.1, schedule: .constant, warmupSteps: 0, totalSteps: 3,
            maxGradNorm: 0, seed: 3, recompute: false, tokensPerPass: 16), distillation: try distillation(student))
    }

    func cacheURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("afina-kd-\(UUID().uuidString).safetensors")
    }

    func testACacheOfTheWholeVocabularyTrainsLikeTheOnlineTeacher() throws {
        let teacher = try tinyModel("qwen2", backend: backend)
        let url = cacheURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try TeacherCache.build(teacher: teacher, name: "qwen2", examples: try examples(), k: teacher.vocabularySize,
                               temperature: 2, tokensPerPass: 20, to: url)
        let cache = try TeacherCache(url: url, examples: try examples(), temperature: 2)
        let online = try trainer { _ in Distillation(loss: self.loss, teacher: .online(teacher)) }
        let cached = try trainer { _ in Distillation(loss: self.loss, teacher: .cached(cache)) }
        for _ in 0..<3 {
            let (a, b) = (try online.trainStep(), try cached.trainStep())
            XCTAssertEqual(a.loss, b.loss, accuracy: 1e-5 * a.loss)
            XCTAssertEqual(a.distillation!.agreements, b.distillation!.agreements)
            XCTAssertEqual(a.distillation!.divergence, b.distillation!.divergence, accuracy: 1e-5 * a.distillation!.divergence)
            XCTAssertGreaterThan(a.distillation!.divergence, 0)
        }
        for (x, y) in zip(online.optimizer.parameters, cached.optimizer.parameters) {
            let (u, v) = (backend.floats(x.value), backend.floats(y.value))
            XCTAssertLessThanOrEqual(zip(u, v).map { abs($0 - $1) }.max()!, 1e-5 * u.map(abs).max()!, x.name)
        }
    }

    /// Examples behind one shared prefix (solved examples in front) are scored with the prefix
    /// run once; every cached row must still be the teacher's own distribution at that row.
    func testACacheOfExamplesSharingAPrefixHoldsEachRowOfTheTeacher() throws {
        let teacher = try tinyModel("qwen2", backend: backend)
        let prefix = (0..<24).map { Int32(($0 * 13 + 5) % 300) }
        let data = try examples().map {
            TrainingSequence(tokens: prefix + $0.tokens, targets: Array(repeating: false, count: 24) + $0.targets)
        }
        XCTAssertGreaterThanOrEqual(24, TeacherCache.sharedPrefixMinimum, "the test must take the shared-prefix path")
        let url = cacheURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try TeacherCache.build(teacher: teacher, name: "qwen2", examples: data, k: 5, temperature: 2, tokensPerPass: 40, to: url)
        let cache = try TeacherCache(url: url, examples: data, temperature: 2)
        guard case .topK(let k, let ids, let logprobs, let logTail) = try cache.distribution(for: Array(data.indices), sequences: data)
        else { return XCTFail("not a top-k cache") }
        let logits = backend.floats(teacher.targetLogits(data)), v = teacher.vocabularySize
        XCTAssertEqual(ids.count, logits.count / v * k)
        for r in 0..<logits.count / v {
            let expected = TeacherCache.topK(logits[r * v..<(r + 1) * v], k: k, temperature: 2)
            XCTAssertEqual(Array(ids[r * k..<(r + 1) * k]), expected.ids, "row \(r)")
            for (a, b) in zip(logprobs[r * k..<(r + 1) * k], expected.logprobs) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            XCTAssertEqual(logTail[r], expected.logTail, accuracy: 1e-4)
        }
    }

    func testTopKRowsAreTheMostLikelyTokensAndTheTailHoldsTheRest() {
        let logits: [Float] = [0.5, 3, -1, 2, 2.5, -4]
        let row = TeacherCache.topK(logits[...], k: 3, temperature: 2)
        XCTAssertEqual(row.ids, [1, 4, 3])
        let z = logits.map { exp(Double($0 / 2)) }.reduce(0, +)
        for (id, lp) in zip(row.ids, row.logprobs) { XCTAssertEqual(Double(lp), Double(logits[Int(id)] / 2) - log(z), accuracy: 1e-6) }
        XCTAssertEqual(Double(row.logTail), log([0, 2, 5].map { exp(Double(logits[$0] / 2)) }.reduce(0, +) / z), accuracy: 1e-6)
    }

    func testACacheRefusesOtherDataAndAnotherTemperature() throws {
        let teacher = try tinyModel("qwen2", backend: backend)
        let url = cacheURL()
        defer { try? FileManager.default.removeItem(at: url) }
        var data = try examples()
        try TeacherCache.build(teacher: teacher, name: "qwen2", examples: data, k: 4, temperature: 1, to: url)
        XCTAssertThrowsError(try TeacherCache(url: url, examples: data, temperature: 2)) {
            XCTAssertTrue("\($0)".contains("temperature 1.0"), "\($0)")
        }
        data[2].tokens[1] += 1
        XCTAssertThrowsError(try TeacherCache(url: url, examples: data, temperature: 1)) {
            XCTAssertTrue("\($0)".contains("other training data"), "\($0)")
        }
    }

    func testOnPolicyBatchesAreSampledByTheStudentAndRepeatUnderTheSameSeed() throws {
        let teacher = try tinyModel("qwen2", backend: backend)
        func run() throws -> [StepResult] {
            let t = try trainer { _ in
                Distillation(loss: self.loss, teacher: .online(teacher), onPolicy: 1,
                             sampling: OnPolicySampling(maxNewTokens: 5, stopTokens: [2]))
            }
            return try (0..<2).map { _ in try t.trainStep() }
        }
        let (a, b) = (try run(), try run())
        XCTAssertEqual(a.map(\.loss), b.map(\.loss))
        // Sampled answers replace the data's: at most 5 tokens each, and no label term.
        XCTAssertLessThanOrEqual(a[0].targetTokens, 4 * 5)
        XCTAssertEqual(a[0].distillation!.crossEntropy > 0, true)
        let divergence = a[0].distillation!.divergence
        XCTAssertEqual(a[0].loss * Double(a[0].targetTokens), 4 * divergence, accuracy: 1e-9 * divergence)
    }
}
