// Tiny random Llama-family models against transformers (fixtures: scripts/make_model_fixtures.py).
// Tolerance: max |afina - transformers| over a sequence's logits <= 1e-5 * max |transformers|.
import AfinaFormats
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels

final class LlamaTests: XCTestCase, TinyModelFixtures {
    let backend = CPUBackend()
    let variants = ["llama", "llama3-rope", "qwen2"]

    func testHuggingFaceDirectoriesMatchTransformersLogits() throws {
        for variant in variants {
            let model = try huggingFaceModel(variant)
            for (i, (ids, expected)) in try reference(variant).enumerated() {
                assertClose(try allLogits(model, ids), expected, "\(variant) sequence \(i)")
            }
        }
    }

    func testGGUFWithPermutedQKGivesTheSameLogits() throws {
        for variant in variants {
            let model = try ggufModel(variant)
            for (i, (ids, expected)) in try reference(variant).enumerated() {
                assertClose(try allLogits(model, ids), expected, "\(variant) GGUF sequence \(i)")
            }
        }
    }

    func testDecodingWithTheCacheEqualsTheFullForward() throws {
        try assertDecodingEqualsFullForward(try huggingFaceModel("llama"), try reference("llama")[0], prefill: 3)
    }

    func testBatchOfDifferentLengthsEqualsSeparateRuns() throws {
        let model = try huggingFaceModel("qwen2")
        let refs = try reference("qwen2")
        let vocabulary = model.vocabularySize
        let cache = model.makeCache(slots: 2, capacity: 16)
        let last = backend.floats(try model.logits(refs.enumerated().map { SequenceChunk(slot: $0, tokens: $1.0) },
                                                   cache: cache, allPositions: false))
        for (i, (ids, expected)) in refs.enumerated() {
            let t = ids.count - 1
            assertClose(Array(last[i * vocabulary..<(i + 1) * vocabulary]),
                        Array(expected[t * vocabulary..<(t + 1) * vocabulary]), "batched sequence \(i)")
        }
        XCTAssertEqual(cache.lengths, refs.map(\.0.count))
    }

    func testCacheOverflowIsAnError() throws {
        let model = try huggingFaceModel("llama")
        let cache = model.makeCache(slots: 1, capacity: 4)
        XCTAssertThrowsError(try model.logits([SequenceChunk(slot: 0, tokens: [1, 2, 3, 4, 5])], cache: cache,
                                              allPositions: false)) {
            XCTAssertTrue("\($0)".contains("cache holds 4"), "\($0)")
        }
    }

    func testPromptsSharingAPrefixGenerateAsEachAlone() throws {
        let prefix = (0..<40).map { Int32(($0 * 37 + 11) % 300) }
        let requests = [[5, 9, 200], [5, 7], [17, 3, 3, 8]].map {
            GenerationRequest(prompt: prefix + $0, maxTokens: 6, topLogprobs: 3)
        }
        for variant in variants {
            let generator = Generator(model: try huggingFaceModel(variant), decode: { _ in "" })
            var timings = GenerationTimings()
            let together = try generator.generate(requests, timings: &timings)
            // The prefix ran once, then each prompt's own tokens.
            XCTAssertEqual(timings.prefillTokens, 40 + 3 + 2 + 4, variant)
            for (request, shared) in zip(requests, together) {
                let alone = try generator.generate([request])[0]
                XCTAssertEqual(shared.ids, alone.ids, variant)
                for (a, b) in zip(shared.logprobs, alone.logprobs) {
                    for (x, y) in zip(a.top!, b.top!) { XCTAssertEqual(x.logprob, y.logprob, accuracy: 1e-5, variant) }
                }
            }
        }
    }

    func testUnknownArchitectureAndMissingTensorAreClearErrors() throws {
        XCTAssertThrowsError(try ModelRegistry.architecture("mamba")) {
            XCTAssertTrue("\($0)".contains("unknown architecture 'mamba'"), "\($0)")
        }
        let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/llama"))
        var config = try dir.config()
        config["num_hidden_layers"] = 3
        XCTAssertThrowsError(try Llama.load(huggingFace: config, weights: WeightTable([:], source: "x"), backend: backend)) {
            XCTAssertTrue("\($0)".contains("missing tensor 'model.embed_tokens.weight'"), "\($0)")
        }
    }
}
