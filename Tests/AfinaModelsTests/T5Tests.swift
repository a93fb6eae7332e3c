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

/// The tiny T5 fixtures: the models and their (input, target) pairs with transformers' numbers.
struct T5Fixtures {
    let backend: CPUBackend
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
}

final class T5Tests: XCTestCase, TinyModelFixtures {
    let backend = CPUBackend()
    static let variants = T5Fixtures.variants
    typealias Pair = T5Fixtures.Pair
    var fixtures: T5Fixtures { T5Fixtures(backend: backend) }

    func pairs(_ variant: String) throws -> (SafetensorsFile, [Pair]) { try fixtures.pairs(variant) }
    func ints(_ file: SafetensorsFile, _ name: String) throws -> [Int32] { try fixtures.ints(file, name) }
    func model(_ variant: String) throws -> T5 { try fixtures.model(variant) }

    /// Logits of every target position, the way generation reaches them: the input as the
    /// prompt of each slot (giving the first position's logits), then the target but its last
    /// token, teacher-forced in one chunk (`oneChunk`) or a token at a time.
    func targetLogits(_ model: T5, _ pairs: [Pair], oneChunk: Bool) throws -> [[Float]] {
        let decoder = model, v = model.vocabularySize
        let cache = decoder.makeCache(slots: pairs.count, capacity: 32)
        let first = backend.floats(try decoder.logits(pairs.enumerated().map { SequenceChunk(slot: $0, tokens: $1.input) },
                                                      cache: cache, allPositions: false))
        var logits = pairs.indices.map { Array(first[$0 * v..<($0 + 1) * v]) }
        if oneChunk {
            let chunks = pairs.enumerated().map { SequenceChunk(slot: $0, tokens: Array($1.target.dropLast())) }
            let rest = backend.floats(try decoder.logits(chunks, cache: cache, allPositions: true))
            var offset = 0
            for (i, pair) in pairs.enumerated() {
                logits[i] += rest[offset..<offset + (pair.target.count - 1) * v]
                offset += (pair.target.count - 1) * v
            }
        } else {
            for (i, pair) in pairs.enumerated() {
                for token in pair.target.dropLast() {
                    logits[i] += backend.floats(try decoder.logits([SequenceChunk(slot: i, tokens: [token])], cache: cache,
                                                                   allPositions: false))
                }
            }
        }
        return logits
    }

    func testEncoderStatesMatchTransformersAloneAndPacked() throws {
        for variant in Self.variants {
            let model = try model(variant)
            let pairs = try pairs(variant).1
            let packed = backend.floats(try model.encode(pairs.map(\.input)))
            var row = 0
            for (i, pair) in pairs.enumerated() {
                assertClose(backend.floats(try model.encode([pair.input])), pair.encoder, "\(variant) encoder \(i)")
                let width = model.config.hiddenSize
                assertClose(Array(packed[row * width..<(row + pair.input.count) * width]), pair.encoder, "\(variant) packed \(i)")
                row += pair.input.count
            }
        }
    }

    /// Alone and as a batch, teacher-forced in one chunk and decoded a token at a time.
    func testDecoderLogitsMatchTransformers() throws {
        for variant in Self.variants {
            let model = try model(variant)
            let pairs = try pairs(variant).1
            for oneChunk in [true, false] {
                for (i, pair) in pairs.enumerated() {
                    assertClose(try targetLogits(model, [pair], oneChunk: oneChunk)[0], pair.logits, "\(variant) alone \(i)")
                }
                for (i, (logits, pair)) in zip(try targetLogits(model, pairs, oneChunk: oneChunk), pairs).enumerated() {
                    assertClose(logits, pair.logits, "\(variant) batch \(i), one chunk: \(oneChunk)")
                }
            }
        }
    }

    /// A slot reused for a new input (as a server reuses them) forgets the old one, even a
    /// longer one; a new input asked for logits at every position is refused.
    func testAReusedSlotTakesItsNewInput() throws {
        let model = try model("t5")
        let pairs = try pairs("t5").1
        let decoder = model
        let cache = decoder.makeCache(slots: 1, capacity: 8)
        for pair in [pairs[1], pairs[0], pairs[2]] {
            cache.reset(slot: 0)
            let first = backend.floats(try decoder.logits([SequenceChunk(slot: 0, tokens: pair.input)], cache: cache,
                                                          allPositions: false))
            assertClose(first, Array(pair.logits[..<model.vocabularySize]), "first position")
        }
        XCTAssertThrowsError(try decoder.logits([SequenceChunk(slot: 0, tokens: [5, 6])], cache: decoder.makeCache(slots: 1, capacity: 4),
                                                allPositions: true))
    }

    func testGreedyGenerationOfABatchMatchesTransformers() throws {
        for variant in Self.variants {
            let model = try model(variant)
            let (file, pairs) = try pairs(variant)
            let expected = try ints(file, "greedy"), width = expected.count / pairs.count
            let requests = pairs.map { GenerationRequest(prompt: $0.input, maxTokens: width - 1, stopTokens: [model.eosToken]) }
            let results = try Generator(model: model, decode: { _ in "" }).generate(requests)
            for (i, result) in results.enumerated() {
                let row = expected[i * width..<(i + 1) * width].filter { $0 >= 0 }
                XCTAssertEqual([model.decoderStartToken] + result.ids, Array(row), "\(variant) input \(i)")
            }
        }
    }

    /// Three beams, length penalty 1, max 12 tokens: transformers' `generate(num_beams=3)`.
    func testBeamSearchOfABatchMatchesTransformers() throws {
        for variant in Self.variants {
            let model = try model(variant)
            let (file, pairs) = try pairs(variant)
            let expected = try ints(file, "beams"), width = expected.count / pairs.count
            let results = try BeamSearch(model: model, beams: 3)
                .generate(pairs.map(\.input), maxTokens: width - 1, stopTokens: [model.eosToken])
            for (i, result) in results.enumerated() {
                let row = expected[i * width..<(i + 1) * width].filter { $0 >= 0 }
                XCTAssertEqual([model.decoderStartToken] + result.ids, Array(row), "\(variant) input \(i)")
            }
        }
    }

    /// One beam is greedy search; beam reordering moves a slot's cache, encoder states included.
    func testOneBeamIsGreedyAndReorderingMovesWholeSlots() throws {
        let model = try model("t5-v1_1")
        let pairs = try pairs("t5-v1_1").1
        let greedy = try Generator(model: model, decode: { _ in "" })
            .generate(pairs.map { GenerationRequest(prompt: $0.input, maxTokens: 6) })
        let beam = try BeamSearch(model: model, beams: 1).generate(pairs.map(\.input), maxTokens: 6, stopTokens: [])
        XCTAssertEqual(beam.map(\.ids), greedy.map(\.ids))
        let decoder = model, v = model.vocabularySize
        let cache = decoder.makeCache(slots: 2, capacity: 8)
        _ = try decoder.logits([SequenceChunk(slot: 0, tokens: pairs[0].input), SequenceChunk(slot: 1, tokens: pairs[1].input)],
                               cache: cache, allPositions: false)
        cache.reorder([1, 1])
        let step = backend.floats(try decoder.logits([0, 1].map { SequenceChunk(slot: $0, tokens: [pairs[1].target[0]]) },
                                                     cache: cache, allPositions: false))
        for slot in 0..<2 { assertClose(Array(step[slot * v..<(slot + 1) * v]), Array(pairs[1].logits[v..<2 * v]), "slot \(slot)") }
    }

    func testConfigAndInputErrorsNameTheProblem() throws {
        let dir = fixtureRoot.appendingPathComponent("models/t5")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json")))
            as? [String: Any])
        json["d_model"] = nil
        // Loaded from a directory, the error names its config.json and the key.
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("afina-t5-broken-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: broken) }
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: json).write(to: broken.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: dir.appendingPathComponent("model.safetensors"),
                                         to: broken.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try ModelLoader.network(huggingFace: HFDirectory(url: broken), backend: backend)) {
            XCTAssertTrue("\($0)".contains(broken.appendingPathComponent("config.json").path + ": missing integer 'd_model'"), "\($0)")
        }
        json["d_model"] = 32
        json["feed_forward_proj"] = "gated-swish"
        XCTAssertThrowsError(try T5Config(huggingFace: json)) { XCTAssertTrue("\($0)".contains("gated-swish"), "\($0)") }
        let model = try model("t5")
        let long = [Int32](repeating: 5, count: model.config.maxPositions + 1)
        XCTAssertThrowsError(try model.encode([long])) {
            XCTAssertEqual("\($0)", "an input of \(long.count) tokens is longer than the model's n_positions (\(model.config.maxPositions))")
        }
        XCTAssertThrowsError(try Generator(model: model, decode: { _ in "" }).generate([GenerationRequest(prompt: long, maxTokens: 1)])) {
            XCTAssertTrue("\($0)".contains("the prompt has \(long.count) tokens"), "\($0)")
        }
        XCTAssertThrowsError(try model.encode([[5, Int32(model.vocabularySize)]])) {
            XCTAssertTrue("\($0)".contains("outside the vocabulary"), "\($0)")
        }
    }
}
