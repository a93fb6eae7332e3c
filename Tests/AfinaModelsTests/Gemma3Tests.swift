// A tiny random Gemma 3 (five sliding-window layers and a global one, window 4, sequences of 6
// and 11 tokens, head_dim unequal to hidden/heads) against transformers
// (scripts/make_gemma_fixtures.py), from its Hugging Face directory and from the GGUF
// llama.cpp's converter would write (norms stored as 1 + w); decoding one token at a time
// through the cache must give the full forward's logits, windows included.
// Tolerance: max |afina - transformers| over a sequence's logits <= 1e-5 * max |transformers|.
import AfinaFormats
import AfinaHub
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels

final class Gemma3Tests: XCTestCase, TinyModelFixtures {
    let backend = CPUBackend()

    func testHuggingFaceDirectoryAndGGUFMatchTransformersLogits() throws {
        // The GGUF's reference scales scores by head_dim^-1/2, as llama.cpp does for Gemma 3 (the
        // file has no query_pre_attn_scalar); the directory's by query_pre_attn_scalar^-1/2.
        for (model, logits) in [(try huggingFaceModel("gemma3"), "logits"), (try ggufModel("gemma3"), "gguf_logits")] {
            XCTAssertTrue(model is Gemma3)
            for (i, (ids, expected)) in try reference("gemma3", logits: logits).enumerated() {
                assertClose(try allLogits(model, ids), expected, "\(logits) sequence \(i)")
            }
        }
    }

    func testDecodingThroughTheWindowEqualsTheFullForward() throws {
        try assertDecodingEqualsFullForward(try huggingFaceModel("gemma3"), try reference("gemma3")[0], prefill: 2)
    }

    /// Local layers keep a ring of window - 1 positions; prompts that share a prefix longer than
    /// the window, decoded together, get what each gets alone (the ring is shared whole).
    func testLocalLayersKeepOnlyTheirWindowAndBatchesDecodeAsAlone() throws {
        let model = try huggingFaceModel("gemma3") as! Gemma3
        let cache = model.makeCache(slots: 2, capacity: 64)
        XCTAssertEqual(cache.keys.map(\.rows), [6, 6, 6, 6, 6, 128], "window 4: rings of 3 rows per slot")
        let prefix: [Int32] = [2, 17, 42, 99, 3, 250, 7]
        let requests = [prefix + [8, 120], prefix + [64]].map { GenerationRequest(prompt: $0, maxTokens: 9, topLogprobs: 3) }
        let generator = Generator(model: model, decode: { _ in "" })
        let together = try generator.generate(requests)
        for (request, result) in zip(requests, together) {
            let alone = try generator.generate([request])[0]
            XCTAssertEqual(result.ids, alone.ids)
            for (a, b) in zip(result.logprobs, alone.logprobs) {
                for (x, y) in zip(a.top!, b.top!) { XCTAssertEqual(x.logprob, y.logprob, accuracy: 1e-5) }
            }
        }
    }

    func testConfigReadsBothTransformersGenerations() throws {
        // transformers 4.x keys, as google/gemma-3-270m's config.json has them.
        let old: [String: Any] = [
            "model_type": "gemma3_text", "vocab_size": 262144, "hidden_size": 640, "intermediate_size": 2048,
            "num_hidden_layers": 18, "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 256,
            "query_pre_attn_scalar": 256, "sliding_window": 512, "rope_theta": 1_000_000.0,
            "rope_local_base_freq": 10000.0, "rope_scaling": NSNull(), "max_position_embeddings": 32768,
            "_sliding_window_pattern": 6,
        ]
        let config = try Gemma3Config(huggingFace: old)
        XCTAssertEqual(config.slidingLayers.enumerated().filter { !$0.element }.map(\.offset), [5, 11, 17])
        XCTAssertEqual(config.globalRoPE, RoPEConfig(theta: 1_000_000))
        XCTAssertEqual(config.localRoPE, RoPEConfig(theta: 10000))
        var gemma2 = old
        gemma2["final_logit_softcapping"] = 30.0
        XCTAssertThrowsError(try Gemma3Config(huggingFace: gemma2))
    }
}

/// The real Gemma 3 270M Q4_K_M GGUF against transformers' dequantized float32 model
/// (scripts/make_gemma_fixtures.py --real): top-5 log-probabilities at the last prompt position
/// within 2e-3 (float32 sums over 18 layers, in another order) and 32 greedy tokens identical;
/// and QLoRA over it.
final class Gemma3RealModelTests: XCTestCase {
    struct Case: Decodable {
        let prompt: String
        let ids: [Int32]
        let top_ids: [Int32]
        let top_logprobs: [Double]
        let greedy: [Int32]
    }

    func testGGUFMatchesTransformersTop5AndGreedyContinuations() throws {
        guard let url = ModelStore.standard().pulledFile(ModelCatalog.entry(named: "gemma-3-270m")!) else {
            throw XCTSkip("run `afina pull gemma-3-270m` first (scripts/test.sh does)")
        }
        struct Fixture: Decodable { let cases: [Case] }
        let cases = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtureRoot
            .appendingPathComponent("models/gemma3-270m.json"))).cases
        let model = try ModelLoader.network(gguf: try GGUFFile(url: url), backend: CPUBackend()).0 as! any CausalLM
        let results = try Generator(model: model, decode: { _ in "" })
            .generate(cases.map { GenerationRequest(prompt: $0.ids, maxTokens: 32, topLogprobs: 5) })
        for (expected, result) in zip(cases, results) {
            let top = result.logprobs[0].top!
            XCTAssertEqual(top.map(\.id), expected.top_ids, "top-5 ids for \(expected.prompt.debugDescription)")
            for (mine, theirs) in zip(top, expected.top_logprobs) {
                XCTAssertEqual(Double(mine.logprob), theirs, accuracy: 2e-3, expected.prompt.debugDescription)
            }
            XCTAssertEqual(result.ids, expected.greedy, "greedy continuation of \(expected.prompt.debugDescription)")
        }
    }

    /// QLoRA over the quantized base: the adapters' gradients flow through the Q4_K/Q5_0/Q6_K
    /// weights, and one plain gradient step on them lowers the loss of the batch.
    func testQLoRAStepOnTheQuantizedGGUFLowersTheLoss() throws {
        guard let url = ModelStore.standard().pulledFile(ModelCatalog.entry(named: "gemma-3-270m")!) else {
            throw XCTSkip("run `afina pull gemma-3-270m` first (scripts/test.sh does)")
        }
        let backend = CPUBackend()
        let model = try ModelLoader.network(gguf: try GGUFFile(url: url), backend: backend).0 as! Gemma3
        try model.attachAdapters(LoRAConfiguration(rank: 4, alpha: 8, targets: LoRAConfiguration.allLinearModules),
                                 weights: nil, seed: 1)
        // "The capital of France is Paris." with every token after the first as a target.
        let tokens: [Int32] = [2, 818, 5279, 529, 7001, 563, 9079, 236761]
        let batch = [TrainingSequence(tokens: tokens, targets: tokens.indices.map { $0 > 0 })]
        let parameters = model.parameters(.adapters)
        let gradients = Gradients(parameters, backend: backend)
        let before = model.loss(batch, gradients: gradients, lossScale: 1, dropoutSeed: 0, recompute: false)
        for (p, g) in zip(parameters, gradients.tensors) { backend.axpy(-1e-2, g, into: p.value) }
        let after = model.loss(batch, gradients: nil, lossScale: 1, dropoutSeed: 0, recompute: false)
        XCTAssertLessThan(after, before)
    }
}
