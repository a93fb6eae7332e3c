// BERT training against PyTorch (fixtures: scripts/make_bert_fixtures.py): the loss and the
// gradient of every parameter of a tiny random classifier and masked LM on a ragged batch with
// a sentence pair. Tolerance: per tensor, max |afina - torch| <= 1e-4 * max |torch| (as the
// Llama gradient tests); the loss within 1e-5 relative. The key biases' gradients are zero in
// exact arithmetic (a key bias adds q·b to every score of a query, which softmax ignores), so
// both sides hold rounding noise (~1e-13): their scale is floored at 1e-6 of the largest
// gradient of the model, which a gradient that is really nonzero still far exceeds.
import AfinaFormats
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels

final class BertTrainingTests: XCTestCase {
    let backend = CPUBackend()

    func checkGradients(_ model: any TrainableEncoder, objective: EncoderObjective, fixture: String) throws {
        let expected = try fixtureTensors(fixture, backend: backend)
        let batch = try BertBatch.load()
        let parameters = model.parameters(.all)
        let gradients = Gradients(parameters, backend: backend)
        let loss = try model.loss(batch.inputs, objective: objective, gradients: gradients,
                                  lossScale: 1 / Float(objective.count), dropoutSeed: 0)
        XCTAssertEqual(loss.total / Double(objective.count), Double(expected["loss"]![0]),
                       accuracy: 1e-5 * Double(abs(expected["loss"]![0])), "loss")
        let expectedNames = Set(expected.keys.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) })
        XCTAssertEqual(Set(parameters.map(\.name)), expectedNames, "parameter names")
        let largest = expected.filter { $0.key.hasPrefix("grad.") }.values.map { $0.map(abs).max() ?? 0 }.max() ?? 0
        for (p, g) in zip(parameters, gradients.tensors) {
            guard let reference = expected["grad." + p.name] else { continue }
            let actual = backend.floats(g)
            if p.name.hasSuffix("attention.self.key.bias") {
                let worst = actual.map(abs).max() ?? .infinity
                XCTAssertLessThanOrEqual(worst, 1e-6 * largest, "\(p.name) must be ~0, largest gradient \(largest)")
            } else {
                assertRelativelyClose(actual, reference, 1e-4, p.name)
            }
        }
    }

    func testClassifierLossAndEveryGradientMatchPyTorch() throws {
        let model = try tinyBert("bert-cls", as: BertForSequenceClassification.self).floatCopy()
        let labels = try BertBatch.load().class_labels.map(Int32.init)
        try checkGradients(model, objective: .classification(labels: labels), fixture: "bert/cls.safetensors")
    }

    func testMaskedLMLossAndEveryGradientMatchPyTorchWithTheTiedDecoder() throws {
        let model = try tinyBert("bert-mlm", as: BertForMaskedLM.self).floatCopy()
        let (rows, targets) = try BertBatch.load().maskedRows
        try checkGradients(model, objective: .maskedLM(rows: rows, targets: targets), fixture: "bert/mlm.safetensors")
    }

    func testContrastiveLossOfABareEncoderAndEveryGradientMatchSentenceTransformers() throws {
        struct Pairs: Decodable { struct Pair: Decodable { let anchor: [Int32]; let positive: [Int32] }; let pairs: [Pair] }
        let pairs = try JSONDecoder().decode(Pairs.self, from: Data(contentsOf: fixtureRoot.appendingPathComponent("bert/batch.json"))).pairs
        let model = try tinyBert("bert-base", as: Bert.self).floatCopy()
        let inputs = pairs.map { EncoderInput(ids: $0.anchor) } + pairs.map { EncoderInput(ids: $0.positive) }
        let expected = try fixtureTensors("bert/contrastive.safetensors", backend: backend)
        let gradients = Gradients(model.parameters(.all), backend: backend)
        let loss = try model.loss(inputs, objective: .contrastive(pairs: pairs.count, pooling: .mean, scale: 20),
                                  gradients: gradients, lossScale: 1 / Float(pairs.count), dropoutSeed: 0)
        XCTAssertEqual(loss.total / Double(pairs.count), Double(expected["loss"]![0]), accuracy: 1e-5 * Double(expected["loss"]![0]))
        var compared = 0
        for p in model.parameters(.all) {
            guard let reference = expected["grad." + p.name], !p.name.hasSuffix("attention.self.key.bias") else { continue }
            assertRelativelyClose(backend.floats(gradients[p.value]!), reference, 1e-4, p.name)
            compared += 1
        }
        XCTAssertEqual(compared, 5 + 2 * 15, "every encoder parameter but the key biases (the pooler gets no gradient)")
    }

    func testWithAdaptersOnlyTheAdaptersAndTheNewClassifierTrain() throws {
        let model = try tinyBert("bert-cls", as: BertForSequenceClassification.self)
        try model.attachAdapters(LoRAConfiguration(rank: 2, alpha: 4, targets: ["query", "value"]), weights: nil, seed: 1)
        let names = model.parameters(.adapters).map(\.name)
        XCTAssertEqual(names.filter { $0.contains("lora_") }.count, 2 * 2 * 2, "A and B of query and value in 2 layers")
        XCTAssertEqual(names.filter { !$0.contains("lora_") }, ["classifier.weight", "classifier.bias"])
        XCTAssertThrowsError(try tinyBert("bert-cls", as: BertForSequenceClassification.self)
            .attachAdapters(LoRAConfiguration(rank: 2, alpha: 4, targets: ["q_proj"]), weights: nil, seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("unknown LoRA target 'q_proj' for BERT"), "\(error)")
        }
    }

    func testALabelOutsideTheClassifiersLabelsIsRefused() throws {
        let model = try tinyBert("bert-cls", as: BertForSequenceClassification.self)
        let inputs = try BertBatch.load().inputs
        XCTAssertThrowsError(try model.loss(inputs, objective: .classification(labels: [0, 3, 1]), gradients: nil,
                                            lossScale: 1, dropoutSeed: 0)) { error in
            XCTAssertTrue("\(error)".contains("label index 3"), "\(error)")
        }
    }

    /// peft's LoRA classifier adapter (B nonzero, the head as modules_to_save) gives peft's logits.
    func testAPeftClassifierAdapterWithItsSavedHeadGivesPeftsLogits() throws {
        let model = try tinyBert("bert-cls", as: BertForSequenceClassification.self)
        let (settings, weights) = try PEFTAdapter.read(fixtureRoot.appendingPathComponent("bert/cls-lora"), backend: backend)
        XCTAssertNotNil(weights["classifier.weight"])
        try model.attachAdapters(settings, weights: weights, seed: 0)
        let expected = try fixtureTensors("bert/cls-lora/lora-logits.safetensors", backend: backend)["logits"]!
        let logits = backend.floats(try model.classificationLogits(try BertBatch.load().inputs))
        assertNormalizedClose(logits, expected, "logits with the adapter")
        let base = try tinyBert("bert-cls", as: BertForSequenceClassification.self)
        let plain = backend.floats(try base.classificationLogits(try BertBatch.load().inputs))
        XCTAssertGreaterThan(zip(plain, expected).map { abs($0 - $1) }.max()!, 1e-3, "the adapter changes the logits")
    }

    /// The adapter merged and written as a Hugging Face directory reloads with peft's logits.
    func testAMergedClassifierWrittenAsAHuggingFaceDirectoryReloadsWithPeftsLogits() throws {
        let base = fixtureRoot.appendingPathComponent("models/bert-cls").path
        let loaded = try ModelLoader.loadNetwork(base, adapter: fixtureRoot.appendingPathComponent("bert/cls-lora"))
        let model = try XCTUnwrap(loaded.network as? BertForSequenceClassification)
        XCTAssertTrue(model.hasAdapters)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afina-bert-merged-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try ModelExport.writeHuggingFace(try model.withAdaptersMerged(), source: loaded, to: directory)
        let reloaded = try ModelLoader.loadNetwork(directory.path).require((any SequenceClassifier).self, .sequenceClassifier)
        XCTAssertEqual(reloaded.labels, ["negative", "neutral", "positive"])
        let expected = try fixtureTensors("bert/cls-lora/lora-logits.safetensors", backend: backend)["logits"]!
        assertNormalizedClose(backend.floats(try reloaded.classificationLogits(try BertBatch.load().inputs)), expected,
                              "merged logits")
    }
}
