// Tiny random T5 (ReLU, tied head scaled by d_model^-1/2) and T5 v1.1 (gated GELU, own head)
// against transformers (scripts/make_t5_fixtures.py): 2 encoder and 3 decoder layers, heads *
// d_kv != d_model, inputs of up to 53 tokens against a bias max distance of 12. Encoder states
// and decoder logits alone and packed in a batch, decoding through the cache, and greedy
// generation of the batch.
// Tolerance: max |afina - transformers| <= 1e-5 * max |transformers| per sequence.
import AfinaFormats
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels

final class T5Tests: XCTestCase, TinyModelFixtures {
    let backend = CPUBackend()
    static let variants = ["t5", "t5-v1_1"]

    struct Pair {
        var input, target: [Int32]
        var encoder, logits: [Float]
    }

    /// The reference file of a variant, and its three (input, target) pairs.
    func pairs(_ variant: String) throws -> (SafetensorsFile, [Pair]) {
        let file = try SafetensorsFile(url: fixtureRoot.appendingPathComponent("models/\(variant)/reference.safetensors"))
        return (file, try (0..<3).map { i in
            Pair(input: try ints(file, "input_\(i)"), target: try ints(file, "target_\(i)"),
                 encoder: try floats(file, "encoder_\(i)"), logits: try floats(file, "logits_\(i)"))
        })
    }

    func ints(_ file: SafetensorsFile, _ name: String) throws -> [Int32] {
        Array(try file.tensor(named: name).bytes.bindMemory(to: Int32.self))
    }

    func floats(_ file: SafetensorsFile, _ name: String) throws -> [Float] {
        let t = try file.tensor(named: name)
        return backend.floats(backend.tensor(bytes: t.bytes, dtype: t.dtype, shape: t.shape, owner: nil))
    }

    func model(_ variant: String) throws -> T5 {
        let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/\(variant)"))
        return try XCTUnwrap(try ModelLoader.network(huggingFace: dir, backend: backend).0 as? T5)
    }

    /// The decoder's input for a target: the start token, then the target shifted right.
    func decoderInput(_ model: T5, _ target: [Int32]) -> [Int32] {
        [model.decoderStartToken] + target.dropLast()
    }

    func testEncoderStatesAndDecoderLogitsMatchTransformers() throws {
        for variant in Self.variants {
            let model = try model(variant)
            for (i, pair) in try pairs(variant).1.enumerated() {
                assertClose(backend.floats(try model.encode([pair.input])), pair.encoder, "\(variant) encoder \(i)")
                let decoder = try model.decoder(inputs: [pair.input], slotsPerInput: 1)
                assertClose(try allLogits(decoder, decoderInput(model, pair.target)), pair.logits, "\(variant) logits \(i)")
            }
        }
    }

    /// Packed together, each input's encoder rows and each output's logits are what it gets alone.
    func testABatchOfInputsPackedGivesWhatEachGetsAlone() throws {
        for variant in Self.variants {
            let model = try model(variant)
            let pairs = try pairs(variant).1
            let encoded = backend.floats(try model.encode(pairs.map(\.input)))
            var row = 0
            for (i, pair) in pairs.enumerated() {
                let width = model.config.hiddenSize
                assertClose(Array(encoded[row * width..<(row + pair.input.count) * width]), pair.encoder, "\(variant) encoder \(i)")
                row += pair.input.count
            }
            let decoder = try model.decoder(inputs: pairs.map(\.input), slotsPerInput: 1)
            let cache = decoder.makeCache(slots: pairs.count, capacity: 32)
            let chunks = pairs.enumerated().map { SequenceChunk(slot: $0, tokens: decoderInput(model, $1.target)) }
            let logits = backend.floats(try decoder.logits(chunks, cache: cache, allPositions: true))
            var offset = 0
            for (i, pair) in pairs.enumerated() {
                assertClose(Array(logits[offset..<offset + pair.logits.count]), pair.logits, "\(variant) logits \(i)")
                offset += pair.logits.count
            }
        }
    }

    func testDecodingThroughTheCacheEqualsTheFullForward() throws {
        for variant in Self.variants {
            let model = try model(variant)
            let pair = try pairs(variant).1[1]
            try assertDecodingEqualsFullForward(try model.decoder(inputs: [pair.input], slotsPerInput: 1),
                                                (decoderInput(model, pair.target), pair.logits), prefill: 1)
        }
    }

    func testGreedyGenerationOfABatchMatchesTransformers() throws {
        for variant in Self.variants {
            let model = try model(variant)
            let (file, pairs) = try pairs(variant)
            let expected = try ints(file, "greedy"), width = expected.count / pairs.count
            let decoder = try model.decoder(inputs: pairs.map(\.input), slotsPerInput: 1)
            let requests = pairs.map { _ in
                GenerationRequest(prompt: [model.decoderStartToken], maxTokens: width - 1, stopTokens: [model.eosToken])
            }
            let results = try Generator(model: decoder, decode: { _ in "" }).generate(requests)
            for (i, result) in results.enumerated() {
                let row = expected[i * width..<(i + 1) * width].filter { $0 >= 0 }
                XCTAssertEqual([model.decoderStartToken] + result.ids, Array(row), "\(variant) input \(i)")
            }
        }
    }

    func testConfigAndInputErrorsNameTheProblem() throws {
        let dir = fixtureRoot.appendingPathComponent("models/t5")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json")))
            as? [String: Any])
        json["d_model"] = nil
        XCTAssertThrowsError(try T5Config(huggingFace: json)) { XCTAssertTrue("\($0)".contains("'d_model'"), "\($0)") }
        json["d_model"] = 32
        json["feed_forward_proj"] = "gated-swish"
        XCTAssertThrowsError(try T5Config(huggingFace: json)) { XCTAssertTrue("\($0)".contains("gated-swish"), "\($0)") }
        let model = try model("t5")
        let long = [Int32](repeating: 5, count: model.config.maxPositions + 1)
        XCTAssertThrowsError(try model.encode([long])) { XCTAssertTrue("\($0)".contains("\(model.config.maxPositions)"), "\($0)") }
        XCTAssertThrowsError(try model.encode([[5, Int32(model.vocabularySize)]])) {
            XCTAssertTrue("\($0)".contains("outside the vocabulary"), "\($0)")
        }
    }
}
