// Training the tiny Gemma 3 (five sliding-window layers of window 4 and a global one; the
// fixture batch has sequences longer than the window) against transformers / peft
// (scripts/make_gemma_fixtures.py): the loss within 1e-5 and every gradient within 1e-4
// (max |afina - torch| / max |torch| per tensor), with activations kept and recomputed.
import AfinaFormats
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels

final class Gemma3TrainingTests: XCTestCase {
    let backend = CPUBackend()

    func model() throws -> Gemma3 {
        let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/gemma3"))
        return try (ModelLoader.network(huggingFace: dir, backend: backend).0 as! Gemma3).floatCopy()
    }

    func adaptedModel(dropout: Double = 0) throws -> Gemma3 {
        let model = try model()
        var settings = fixtureLoRA
        settings.dropout = dropout
        try model.attachAdapters(settings, weights: peftAdapterWeights("training/gemma3/lora/adapter_model.safetensors",
                                                                        backend: backend), seed: 0)
        return model
    }

    func testEveryGradientMatchesTransformers() throws {
        for recompute in [false, true] {
            try assertGradientsMatch(model(), .all, reference: "training/gemma3/grads.safetensors", recompute: recompute,
                                     backend: backend)
        }
    }

    func testLoRAGradientsMatchPeft() throws {
        let model = try adaptedModel()
        XCTAssertEqual(model.parameters(.adapters).count, 6 * 7 * 2)
        for recompute in [false, true] {
            try assertGradientsMatch(model, .adapters, reference: "training/gemma3/lora/grads.safetensors",
                                     recompute: recompute, backend: backend)
        }
    }

    func testRecomputationDrawsTheSameAdapterDropoutMasks() throws {
        let model = try adaptedModel(dropout: 0.3)
        let batch = try trainingBatch()
        let parameters = model.parameters(.adapters)
        let (kept, recomputed) = (Gradients(parameters, backend: backend), Gradients(parameters, backend: backend))
        let loss = model.loss(batch, gradients: kept, lossScale: 1, dropoutSeed: 7, recompute: false)
        XCTAssertEqual(model.loss(batch, gradients: recomputed, lossScale: 1, dropoutSeed: 7, recompute: true), loss)
        XCTAssertNotEqual(model.loss(batch, gradients: nil, lossScale: 1, dropoutSeed: 8, recompute: false), loss)
        for (a, b) in zip(kept.tensors, recomputed.tensors) { XCTAssertEqual(backend.floats(a), backend.floats(b)) }
    }
}
