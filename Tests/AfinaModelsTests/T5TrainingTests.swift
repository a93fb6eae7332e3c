// Training the tiny T5 and T5 v1.1 against transformers (scripts/make_t5_fixtures.py): the
// mean cross-entropy over the target tokens of a batch of three (input, output) pairs within
// 1e-5 and every gradient within 1e-4 (max |afina - torch| / max |torch| per tensor), the
// relative position biases, cross-attention and the tied, scaled head included.
import AfinaFormats
import AfinaTensor
import AfinaTokenizers
import Foundation
import XCTest
@testable import AfinaModels

final class T5TrainingTests: XCTestCase {
    let backend = CPUBackend()
    var fixtures: T5Fixtures { T5Fixtures(backend: backend) }

    /// The pairs as prompt/completion sequences: loss on the output tokens only.
    func batch(_ variant: String) throws -> [TrainingSequence] {
        try fixtures.pairs(variant).1.map {
            TrainingSequence(tokens: $0.input + $0.target, targets: $0.input.map { _ in false } + $0.target.map { _ in true })
        }
    }

    func testLossAndEveryGradientMatchTransformers() throws {
        for variant in T5Fixtures.variants {
          for recompute in [false, true] {
            let model = try fixtures.model(variant).floatCopy()
            let reference = try fixtureTensors("models/\(variant)/reference.safetensors", backend: backend)
            let parameters = model.parameters(.all)
            XCTAssertEqual(Set(parameters.map { "grad." + $0.name }), Set(reference.keys.filter { $0.hasPrefix("grad.") }), variant)
            let gradients = Gradients(parameters, backend: backend)
            let batch = try batch(variant)
            let count = batch.map(\.targetCount).reduce(0, +)
            let loss = Float(model.loss(batch, gradients: gradients, lossScale: 1 / Float(count), dropoutSeed: 0,
                                        recompute: recompute)) / Float(count)
            let expected = reference["loss"]![0]
            XCTAssertEqual(loss, expected, accuracy: 1e-5 * expected, variant)
            for p in parameters {
                assertRelativelyClose(backend.floats(gradients[p.value]!), reference["grad." + p.name]!, 1e-4,
                                      "\(variant) \(p.name), recomputed: \(recompute)")
            }
          }
        }
    }

    /// Recomputing a layer in backward draws the adapter dropout masks its forward drew.
    func testRecomputationDrawsTheSameAdapterDropoutMasks() throws {
        let model = try fixtures.model("t5-v1_1").floatCopy()
        try model.attachAdapters(LoRAConfiguration(rank: 2, alpha: 4, dropout: 0.3, targets: ["q", "wo"]), weights: nil, seed: 1)
        let batch = try batch("t5-v1_1")
        let parameters = model.parameters(.adapters)
        // B starts at zero, which would hide the masks: give it values.
        for p in parameters where p.name.hasSuffix("lora_B.weight") {
            backend.axpy(1, backend.tensor((0..<p.value.count).map { Float($0 % 7) * 0.01 - 0.03 }, shape: p.value.shape), into: p.value)
        }
        let (kept, recomputed) = (Gradients(parameters, backend: backend), Gradients(parameters, backend: backend))
        let loss = model.loss(batch, gradients: kept, lossScale: 1, dropoutSeed: 7, recompute: false)
        XCTAssertEqual(model.loss(batch, gradients: recomputed, lossScale: 1, dropoutSeed: 7, recompute: true), loss)
        XCTAssertNotEqual(model.loss(batch, gradients: nil, lossScale: 1, dropoutSeed: 8, recompute: false), loss)
        for (a, b) in zip(kept.tensors, recomputed.tensors) { XCTAssertEqual(backend.floats(a), backend.floats(b)) }
    }

    /// peft's adapter on every T5 projection (rsLoRA, B nonzero): the logits of the adapted
    /// model and the adapters' gradients are peft's.
    func testAPeftAdapterGivesPeftsLogitsAndGradients() throws {
        let model = try fixtures.model("t5-v1_1").floatCopy()
        let folder = fixtureRoot.appendingPathComponent("training/t5-lora")
        let (settings, weights) = try PEFTAdapter.read(folder, backend: backend)
        XCTAssertEqual(Set(settings.targets), ["q", "k", "v", "o", "wi_0", "wi_1", "wo"])
        try model.attachAdapters(settings, weights: weights, seed: 0)
        let reference = try fixtureTensors("training/t5-lora/reference.safetensors", backend: backend)
        let pairs = try fixtures.pairs("t5-v1_1").1
        let v = model.vocabularySize
        for (i, pair) in pairs.enumerated() {
            let cache = model.makeCache(slots: 1, capacity: 32)
            var logits = backend.floats(try model.logits([SequenceChunk(slot: 0, tokens: pair.input)], cache: cache, allPositions: false))
            logits += backend.floats(try model.logits([SequenceChunk(slot: 0, tokens: Array(pair.target.dropLast()))], cache: cache,
                                                      allPositions: true))
            XCTAssertEqual(logits.count, pair.target.count * v)
            assertRelativelyClose(logits, reference["logits_\(i)"]!, 1e-5, "adapted logits \(i)")
        }
        let parameters = model.parameters(.adapters)
        XCTAssertEqual(parameters.count, 2 * (2 * 7 + 3 * 11), "every projection of 2 encoder and 3 decoder layers")
        let gradients = Gradients(parameters, backend: backend)
        let batch = try batch("t5-v1_1")
        let count = batch.map(\.targetCount).reduce(0, +)
        let loss = Float(model.loss(batch, gradients: gradients, lossScale: 1 / Float(count), dropoutSeed: 0,
                                    recompute: false)) / Float(count)
        XCTAssertEqual(loss, reference["loss"]![0], accuracy: 1e-5 * reference["loss"]![0])
        for p in parameters {
            let name = "grad.base_model.model." + p.name.replacingOccurrences(of: ".weight", with: ".default.weight")
            assertRelativelyClose(backend.floats(gradients[p.value]!), try XCTUnwrap(reference[name], name), 1e-4, p.name)
        }
    }

    /// The adapted model merged and written as a Hugging Face directory: the checkpoint's
    /// tensor names (its own head included) and keys, reloading with the adapted logits.
    func testAMergedExportReloadsWithTheAdaptedLogits() throws {
        let model = try fixtures.model("t5-v1_1").floatCopy()
        let (settings, weights) = try PEFTAdapter.read(fixtureRoot.appendingPathComponent("training/t5-lora"), backend: backend)
        try model.attachAdapters(settings, weights: weights, seed: 0)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afina-t5-export-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let tokenizerDirectory = fixtureRoot.appendingPathComponent("tokenizer/t5")
        try model.withAdaptersMerged().writeHuggingFace(to: directory, tokenizer: try Tokenizer(directory: tokenizerDirectory),
                                                        tokenizerDirectory: tokenizerDirectory, tokenizerFrom: nil)
        let original = try SafetensorsFile(url: fixtureRoot.appendingPathComponent("models/t5-v1_1/model.safetensors"))
        let written = try SafetensorsFile(url: directory.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(Set(written.tensorNames), Set(original.tensorNames))
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("config.json")))
            as? [String: Any])
        XCTAssertEqual(config["feed_forward_proj"] as? String, "gated-gelu")
        XCTAssertEqual(config["tie_word_embeddings"] as? Bool, false)
        let reloaded = try ModelLoader.load(directory.path, backend: backend)
        XCTAssertEqual(reloaded.tokenizer.vocabularySize, model.vocabularySize)
        let input = try fixtures.pairs("t5-v1_1").1[0].input
        func firstLogits(_ m: any CausalLM) throws -> [Float] {
            backend.floats(try m.logits([SequenceChunk(slot: 0, tokens: input)], cache: m.makeCache(slots: 1, capacity: 4),
                                        allPositions: false))
        }
        assertRelativelyClose(try firstLogits(reloaded.model), try firstLogits(model), 1e-5, "reloaded export")
    }

    /// The input's </s> is what the tokenizer writes; a rendering without it gets it.
    func testAnInputWithoutItsEOSIsReadWithIt() throws {
        let model = try fixtures.model("t5")
        let batch = try batch("t5")
        let trimmed = batch.map { seq in
            let first = seq.targets.firstIndex(of: true)!
            return TrainingSequence(tokens: Array(seq.tokens[..<(first - 1)] + seq.tokens[first...]),
                                    targets: Array(seq.targets[..<(first - 1)] + seq.targets[first...]))
        }
        XCTAssertEqual(model.loss(trimmed, gradients: nil, lossScale: 1, dropoutSeed: 0, recompute: false),
                       model.loss(batch, gradients: nil, lossScale: 1, dropoutSeed: 0, recompute: false))
    }
}
