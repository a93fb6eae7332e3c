// Tiny random decoders saved by the fixture scripts (Tests/Fixtures/models/<variant>/: a Hugging
// Face directory, the same weights as GGUF, transformers' logits), loaded and compared the same
// way by every architecture's tests.
import AfinaFormats
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels

let fixtureRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../Fixtures").standardized

protocol TinyModelFixtures: XCTestCase {
    var backend: CPUBackend { get }
}

extension TinyModelFixtures {
    /// (ids, logits [T * V]) per test sequence; `logits` names the reference when a variant
    /// has several ("gguf_logits").
    func reference(_ variant: String, logits name: String = "logits") throws -> [([Int32], [Float])] {
        let file = try SafetensorsFile(url: fixtureRoot.appendingPathComponent("models/\(variant)/logits.safetensors"))
        return try (0..<2).map { i in
            let ids = try file.tensor(named: "ids_\(i)")
            let logits = try file.tensor(named: "\(name)_\(i)")
            return (Array(ids.bytes.bindMemory(to: Int32.self)), backend.floats(
                backend.tensor(bytes: logits.bytes, dtype: logits.dtype, shape: logits.shape, owner: nil)))
        }
    }

    func huggingFaceModel(_ variant: String) throws -> any CausalLM {
        let dir = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/\(variant)"))
        return try ModelLoader.network(huggingFace: dir, backend: backend).0 as! any CausalLM
    }

    func ggufModel(_ variant: String) throws -> any CausalLM {
        let file = try GGUFFile(url: fixtureRoot.appendingPathComponent("models/\(variant)/model.gguf"))
        return try ModelLoader.network(gguf: file, backend: backend).0 as! any CausalLM
    }

    func assertClose(_ actual: [Float], _ expected: [Float], _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        let scale = expected.map(abs).max() ?? 1
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst / scale, 1e-5, "\(what): max error \(worst) of scale \(scale)", file: file, line: line)
    }

    func allLogits(_ model: any CausalLM, _ ids: [Int32]) throws -> [Float] {
        let cache = model.makeCache(slots: 1, capacity: ids.count)
        return backend.floats(try model.logits([SequenceChunk(slot: 0, tokens: ids)], cache: cache, allPositions: true))
    }

    /// After a prefill of `prefill` tokens, each further token run alone through the cache gets
    /// the logits the full forward gives its position.
    func assertDecodingEqualsFullForward(_ model: any CausalLM, _ reference: ([Int32], [Float]), prefill: Int,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
        let (ids, expected) = reference
        let vocabulary = model.vocabularySize
        let cache = model.makeCache(slots: 1, capacity: ids.count)
        _ = try model.logits([SequenceChunk(slot: 0, tokens: Array(ids[0..<prefill]))], cache: cache, allPositions: false)
        for t in prefill..<ids.count {
            let step = backend.floats(try model.logits([SequenceChunk(slot: 0, tokens: [ids[t]])], cache: cache,
                                                       allPositions: false))
            assertClose(step, Array(expected[t * vocabulary..<(t + 1) * vocabulary]), "decode position \(t)",
                        file: file, line: line)
        }
    }
}
