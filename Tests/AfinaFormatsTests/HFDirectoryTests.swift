// Hugging Face model directories: weights sharded over two files with an index (fixture:
// scripts/make_quant_fixtures.py), a single-file directory, and the files that may be missing.
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaFormats

final class HFDirectoryTests: XCTestCase {
    let sharded = formatFixtures.appendingPathComponent("sharded")
    var scratch: URL!

    override func setUpWithError() throws { scratch = try makeScratchDirectory() }
    override func tearDownWithError() throws { try FileManager.default.removeItem(at: scratch) }

    func floats(_ directory: HFDirectory, _ name: String) throws -> [Float] {
        let t = try directory.tensor(named: name)
        return Quant.dequantize(t.dtype, t.bytes)
    }

    /// A copy of the sharded fixture directory, to damage.
    func shardedCopy() throws -> URL {
        let copy = scratch.appendingPathComponent("model")
        try FileManager.default.copyItem(at: sharded, to: copy)
        return copy
    }

    func testShardedWeightsReadAsOneSetOfTensors() throws {
        let directory = try HFDirectory(url: sharded)
        XCTAssertEqual(directory.tensorNames, ["a.weight", "b.weight", "c.bias"])
        XCTAssertEqual(try directory.tensor(named: "a.weight").shape, [2, 2])
        XCTAssertEqual(try floats(directory, "a.weight"), [0, 1, 2, 3])
        XCTAssertEqual(try directory.tensor(named: "b.weight").dtype, .f16)
        XCTAssertEqual(try floats(directory, "b.weight"), [1.5, 1.5, 1.5])
        XCTAssertEqual(try floats(directory, "c.bias"), [-1, 2])
        XCTAssertEqual(try directory.config()["model_type"] as? String, "llama")
        XCTAssertEqual(try directory.chatTemplate(), "{% for m in messages %}{{ m.content }}{% endfor %}")
        XCTAssertNil(directory.tokenizerURL)
        XCTAssertNil(directory.generationConfigURL)
        XCTAssertNil(try directory.generationConfig())
        assertFormatError(try directory.tensor(named: "d.weight"), names: sharded, "no tensor named 'd.weight'")
    }

    func testMissingShardIsAClearError() throws {
        let copy = try shardedCopy()
        try FileManager.default.removeItem(at: copy.appendingPathComponent("model-00002-of-00002.safetensors"))
        let index = copy.appendingPathComponent("model.safetensors.index.json")
        assertFormatError(try HFDirectory(url: copy), names: index,
                          "names shard 'model-00002-of-00002.safetensors' (for tensor 'b.weight'), which is missing")
    }

    func testIndexNamingATensorItsShardLacksIsAClearError() throws {
        let copy = try shardedCopy()
        let index = copy.appendingPathComponent("model.safetensors.index.json")
        let map = ["a.weight": "model-00002-of-00002.safetensors"]
        try JSONSerialization.data(withJSONObject: ["weight_map": map]).write(to: index)
        assertFormatError(try HFDirectory(url: copy), names: index,
                          "puts tensor 'a.weight' in shard 'model-00002-of-00002.safetensors', which does not hold it")
    }

    func testMissingConfigOrWeightsAreClearErrors() throws {
        let copy = try shardedCopy()
        let fileManager = FileManager.default
        try fileManager.removeItem(at: copy.appendingPathComponent("model.safetensors.index.json"))
        assertFormatError(try HFDirectory(url: copy), names: copy,
                          "no model.safetensors or model.safetensors.index.json",
                          "found model-00001-of-00002.safetensors, model-00002-of-00002.safetensors")
        try fileManager.removeItem(at: copy.appendingPathComponent("config.json"))
        assertFormatError(try HFDirectory(url: copy), names: copy, "no config.json")
        let file = copy.appendingPathComponent("tokenizer_config.json")
        assertFormatError(try HFDirectory(url: file), names: file, "not a directory")
    }

    func testSingleFileDirectoryWithAJinjaChatTemplate() throws {
        let directory = scratch.appendingPathComponent("single")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("{\"model_type\": \"qwen2\"}".utf8).write(to: directory.appendingPathComponent("config.json"))
        let tokenizerConfig = directory.appendingPathComponent("tokenizer_config.json")
        try Data("{\"chat_template\": \"old\"}".utf8).write(to: tokenizerConfig)
        try Data("{{ messages }}".utf8).write(to: directory.appendingPathComponent("chat_template.jinja"))
        try Data("{}".utf8).write(to: directory.appendingPathComponent("tokenizer.json"))
        try SafetensorsWriter.write(tensors: [("w", .f32, [2], bytes([Float(1), 2]))],
                                    to: directory.appendingPathComponent("model.safetensors"))
        let hf = try HFDirectory(url: directory)
        XCTAssertEqual(hf.tensorNames, ["w"])
        XCTAssertEqual(try floats(hf, "w"), [1, 2])
        XCTAssertEqual(try hf.chatTemplate(), "{{ messages }}")
        XCTAssertEqual(hf.tokenizerURL?.lastPathComponent, "tokenizer.json")
    }
}
