// Training the tiny Gemma 3 (five sliding-window layers of window 4 and a global one; the
// fixture batch has sequences longer than the window) against transformers / peft
// (scripts/make_gemma_fixtures.py): the loss within 1e-5 and every gradient within 1e-4
// (max |afina - torch| / max |torch| per tensor), with activations kept and recomputed.
import AfinaFormats
import AfinaTensor
import AfinaTokenizers
import Foundation
import XCTest
@testable import AfinaModels

/// The tiny Gemma 3 as a float32 copy, with peft's saved adapter when `adapted`.
func fixtureGemma(adapted: Bool, dropout: Double = 0, backend: CPUBackend) throws -> Gemma3 {
    let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/gemma3"))
    let model = try (ModelLoader.network(huggingFace: dir, backend: backend).0 as! Gemma3).floatCopy()
    guard adapted else { return model }
    var settings = fixtureLoRA
    settings.dropout = dropout
    try model.attachAdapters(settings, weights: peftAdapterWeights("training/gemma3/lora/adapter_model.safetensors",
                                                                    backend: backend), seed: 0)
    return model
}

final class Gemma3TrainingTests: XCTestCase {
    let backend = CPUBackend()

    func model() throws -> Gemma3 { try fixtureGemma(adapted: false, backend: backend) }
    func adaptedModel(dropout: Double = 0) throws -> Gemma3 { try fixtureGemma(adapted: true, dropout: dropout, backend: backend) }

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

/// Gemma 3 written out: a Hugging Face directory holds w (not the factor 1 + w Afina keeps) and
/// reloads with the same logits, adapters merged; a GGUF holds the factor and reloads the same.
final class Gemma3ExportTests: XCTestCase, TinyModelFixtures {
    let backend = CPUBackend()

    func scratch() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("afina-gemma-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testHuggingFaceDirectoryHoldsTransformersWeightsAndReloadsWithTheMergedLogits() throws {
        let adapted = try fixtureGemma(adapted: true, backend: backend)
        let directory = scratch()
        let tokenizer = try Tokenizer(directory: fixtureRoot.appendingPathComponent("tokenizer/smollm2"))
        try adapted.floatCopy().writeHuggingFace(to: directory, tokenizer: tokenizer, tokenizerDirectory: nil)
        let original = try fixtureTensors("models/gemma3/model.safetensors", backend: backend)
        let written = try SafetensorsFile(url: directory.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(Set(written.tensorNames), Set(original.keys))
        for (name, values) in original {
            let t = try written.tensor(named: name)
            // Within float32 rounding of 1 + w.
            assertRelativelyClose(backend.floats(backend.tensor(bytes: t.bytes, dtype: t.dtype, shape: t.shape, owner: nil)),
                                  values, 1e-6, name)
        }

        try adapted.merged().writeHuggingFace(to: directory, tokenizer: tokenizer, tokenizerDirectory: nil)
        let reloaded = try ModelLoader.network(huggingFace: HFDirectory(url: directory), backend: backend).0 as! Gemma3
        XCTAssertEqual(reloaded.config, adapted.config)
        for (ids, _) in try reference("gemma3") {
            assertRelativelyClose(try allLogits(reloaded, ids), try allLogits(adapted, ids), 1e-5, "merged logits")
        }
    }

    func testGGUFReloadsWithTheSameLogitsAndRefusesWhatLlamaCppWouldRunDifferently() throws {
        let tokens = GGUFTokenizerMetadata(model: "gpt2", pre: nil, tokens: (0..<320).map { "t\($0)" }, merges: [])
        let url = scratch()
        // The directory's query_pre_attn_scalar (20) is not head_dim (24), which a GGUF cannot say.
        XCTAssertThrowsError(try fixtureGemma(adapted: false, backend: backend).writeGGUF(
            to: url, type: .f32, tokenizer: tokens, chatTemplate: nil, name: "tiny"))
        let source = try ggufModel("gemma3") as! Gemma3
        try source.floatCopy().writeGGUF(to: url, type: .f32, tokenizer: tokens, chatTemplate: nil, name: "tiny")
        let reloaded = try ModelLoader.network(gguf: GGUFFile(url: url), backend: backend).0 as! Gemma3
        XCTAssertEqual(reloaded.config, source.config)
        for (ids, expected) in try reference("gemma3", logits: "gguf_logits") {
            assertClose(try allLogits(reloaded, ids), expected, "reloaded GGUF")
        }
    }
}
