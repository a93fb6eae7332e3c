// Logit-level distillation against PyTorch (fixtures: scripts/make_distill_fixtures.py;
// teacher the tiny Qwen2, student the tiny Llama, temperature 2, alpha 0.25, JSD beta 0.3).
// Each divergence's value and d loss / d logits within 1e-5 relative, on the full
// vocabulary and on the top-8 cache form; every student parameter's gradient within 1e-4
// relative (as the other gradient checks).
import AfinaFormats
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels

final class DistillationTests: XCTestCase {
    let backend = CPUBackend()
    let reference = ReferenceBackend()
    let cases: [(String, Divergence)] = [("forward_kl", .forwardKL), ("reverse_kl", .reverseKL),
                                         ("jsd", .jensenShannon(beta: 0.3))]

    func settings(_ divergence: Divergence) -> DistillationLoss {
        DistillationLoss(divergence: divergence, temperature: 2, alpha: 0.25)
    }

    /// The fixture's logits and teacher forms.
    func fixture() throws -> (student: Tensor, teacher: Tensor, labels: [Int32], topK: TeacherDistribution) {
        let file = try SafetensorsFile(url: fixtureRoot.appendingPathComponent("distill/logits.safetensors"))
        func floats(_ name: String) throws -> (values: [Float], shape: [Int]) {
            let t = try file.tensor(named: name)
            return (t.bytes.withMemoryRebound(to: Float.self) { Array($0) }, t.shape)
        }
        func ints(_ name: String) throws -> [Int32] {
            try file.tensor(named: name).bytes.withMemoryRebound(to: Int32.self) { Array($0) }
        }
        let (s, t) = (try floats("student"), try floats("teacher"))
        let k = try file.tensor(named: "topk_ids").shape[1]
        let topK = TeacherDistribution.topK(k: k, ids: try ints("topk_ids"), logprobs: try floats("topk_logprobs").values,
                                            logTail: try floats("topk_log_tail").values)
        return (backend.tensor(s.values, shape: s.shape), backend.tensor(t.values, shape: t.shape), try ints("labels"), topK)
    }

    func checkLossAndLogitGradient(on b: some TrainingBackend, topK: Bool) throws {
        for (name, divergence) in cases {
            let f = try fixture()
            let expected = try fixtureTensors("distill/\(name)\(topK ? "_topk" : "").safetensors", backend: backend)
            let logits = b.tensor(backend.floats(f.student), shape: f.student.shape)
            let teacher: TeacherDistribution = topK ? f.topK : .logits(b.tensor(backend.floats(f.teacher), shape: f.teacher.shape))
            let n = Double(f.labels.count)
            let terms = b.distillationLoss(logits, targets: f.labels, teacher: teacher, settings(divergence), scale: 1 / Float(n))
            let what = "\(name)\(topK ? " top-k" : "") on \(b.name)"
            XCTAssertEqual(terms.total(settings(divergence)) / n, Double(expected["loss"]![0]), accuracy: 1e-5 * Double(expected["loss"]![0]), what)
            XCTAssertEqual(terms.crossEntropy / n, Double(expected["cross_entropy"]![0]), accuracy: 1e-5 * Double(expected["cross_entropy"]![0]), what)
            XCTAssertEqual(terms.divergence / n, Double(expected["divergence"]![0]), accuracy: 1e-5 * Double(expected["divergence"]![0]), what)
            assertRelativelyClose(b.floats(logits), expected["d_logits"]!, 1e-5, "\(what): d loss / d logits")
        }
    }

    func testEveryDivergenceAndItsGradientMatchPyTorch() throws {
        try checkLossAndLogitGradient(on: backend, topK: false)
        try checkLossAndLogitGradient(on: reference, topK: false)
    }

    func testTheTopKCacheFormMatchesItsExactFormula() throws {
        try checkLossAndLogitGradient(on: backend, topK: true)
        try checkLossAndLogitGradient(on: reference, topK: true)
    }

    func testAgreementCountsRowsWhereStudentAndTeacherPickTheSameToken() throws {
        let f = try fixture()
        let (s, t, v) = (backend.floats(f.student), backend.floats(f.teacher), f.student.columns)
        func argmax(_ x: [Float], _ r: Int) -> Int { (0..<v).max { x[r * v + $0] < x[r * v + $1] }! }
        let expected = (0..<f.labels.count).filter { argmax(s, $0) == argmax(t, $0) }.count
        let terms = backend.distillationLoss(f.student, targets: f.labels, teacher: .logits(f.teacher),
                                             settings(.forwardKL), scale: 1)
        XCTAssertEqual(terms.agreements, expected)
    }

    func testStudentParameterGradientsMatchPyTorchWithTheTeacherOnline() throws {
        func load(_ variant: String) throws -> Llama {
            let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/\(variant)"))
            return try (ModelLoader.network(huggingFace: dir, backend: backend).0 as! Llama).floatCopy()
        }
        let (teacher, batch) = (try load("qwen2"), try trainingBatch())
        let count = batch.map(\.targetCount).reduce(0, +)
        for (name, divergence) in cases {
            let student = try load("llama")
            let expected = try fixtureTensors("distill/\(name).safetensors", backend: backend)
            let gradients = Gradients(student.parameters(.all), backend: backend)
            let loss = student.loss(batch, objective: .distill(settings(divergence), .logits(teacher.targetLogits(batch))),
                                    gradients: gradients, lossScale: 1 / Float(count), dropoutSeed: 0, recompute: false)
            XCTAssertEqual(loss.total / Double(count), Double(expected["loss"]![0]), accuracy: 1e-5 * Double(expected["loss"]![0]), name)
            for p in student.parameters(.all) {
                assertRelativelyClose(backend.floats(gradients[p.value]!), expected[p.name]!, 1e-4, "\(name) \(p.name)")
            }
        }
    }
}
