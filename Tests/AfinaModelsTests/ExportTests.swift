// Exporting the real SmolLM2-135M-Instruct (skipped until pulled): a Hugging Face directory and
// float32 GGUF file that Afina reloads with logits equal to the source's float32 weights, a
// tokenizer that encodes as the source's, and GGUF metadata as llama.cpp's converter writes it.
import AfinaFormats
import AfinaHub
import AfinaTensor
import AfinaTokenizers
import Foundation
import XCTest
@testable import AfinaModels

final class ExportTests: XCTestCase {
    let texts = ["The capital of France is", "  x = 12345;\n\tdef f(): return 'ok'", "Ünïcödé 日本語 🙂",
                 "<|im_start|>user\nHi<|im_end|>"]

    func pulledModel() throws -> LoadedModel {
        guard let url = ModelStore.standard().pulledFile(ModelCatalog.entry(named: "smollm2-135m-instruct")!) else {
            throw XCTSkip("run `afina pull smollm2-135m-instruct` first (scripts/test.sh does)")
        }
        return try ModelLoader.load(url.path)
    }

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("afina-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// Logits at every position of `ids`, [T * V].
    func logits(_ model: any CausalLM, _ ids: [Int32]) throws -> [Float] {
        let t = try model.logits([SequenceChunk(slot: 0, tokens: ids)], cache: model.makeCache(slots: 1, capacity: ids.count),
                                 allPositions: true)
        return CPUBackend().floats(t)
    }

    func checkReload(_ exported: LoadedModel, of source: LoadedModel, _ label: String) throws {
        let ids = source.tokenizer.encode(texts[0])
        let expected = try logits(try (source.model as! Llama).floatCopy(), ids)
        let actual = try logits(exported.model, ids)
        XCTAssertEqual(actual.count, expected.count)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max()!
        XCTAssertEqual(worst, 0, "\(label): float32 logits differ by up to \(worst)")
        for text in texts {
            XCTAssertEqual(exported.tokenizer.encode(text), source.tokenizer.encode(text), "\(label) \(text.debugDescription)")
        }
        XCTAssertEqual(exported.tokenizer.bosID, source.tokenizer.bosID, label)
        XCTAssertEqual(exported.tokenizer.eosID, source.tokenizer.eosID, label)
        XCTAssertEqual(exported.chatTemplate, source.chatTemplate, label)
    }

    func testHuggingFaceExportOfAGGUFModelReloadsWithEqualLogitsAndTokenizer() throws {
        let source = try pulledModel()
        let dir = try scratch().appendingPathComponent("hf")
        try ModelExport.writeHuggingFace(source.model as! Llama, source: source, to: dir)
        for name in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), name)
        }
        try checkReload(try ModelLoader.load(dir.path), of: source, "HF")
    }

    func testFloat32GGUFExportReloadsWithEqualLogitsAndTheSourcesMetadata() throws {
        let source = try pulledModel()
        let url = try scratch().appendingPathComponent("model.gguf")
        try ModelExport.writeGGUF(source.model as! Llama, source: source, type: .f32, name: "smollm2", to: url)
        try checkReload(try ModelLoader.load(url.path), of: source, "GGUF")

        let (written, original) = (try GGUFFile(url: url), try GGUFFile(url: URL(fileURLWithPath: source.info.path)))
        let keys = original.metadata.keys.filter {
            $0.hasPrefix("tokenizer.") && $0 != "tokenizer.ggml.add_space_prefix" || $0.hasPrefix("llama.")
        }
        for key in keys { XCTAssertEqual(written.metadata[key], original.metadata[key], key) }
        XCTAssertEqual(Set(written.tensors.map(\.name)), Set(original.tensors.map(\.name)))
    }

    func testQuantizedGGUFExportKeepsNormsInFloat32() throws {
        let source = try pulledModel()
        for type in [DType.q8_0, .q4_0] {
            let url = try scratch().appendingPathComponent("\(type).gguf")
            try ModelExport.writeGGUF(source.model as! Llama, source: source, type: type, name: "smollm2", to: url)
            let file = try GGUFFile(url: url)
            for t in file.tensors { XCTAssertEqual(t.dtype, t.shape.count == 1 ? .f32 : type, "\(type) \(t.name)") }
            // Q8_0 keeps the source's top token; requantizing Q4_1 weights to Q4_0 may not.
            guard type == .q8_0 else { continue }
            let ids = source.tokenizer.encode(texts[0])
            let (exported, original) = (try logits(try ModelLoader.load(url.path).model, ids), try logits(source.model, ids))
            let last = exported.count - source.model.vocabularySize
            XCTAssertEqual(exported[last...].indices.max { exported[$0] < exported[$1] },
                           original[last...].indices.max { original[$0] < original[$1] }, "\(type) top token")
        }
    }

    func testGGUFNamesAreTheInverseOfTheLoadersNames() throws {
        let names = ["model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"]
            + ["input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
               "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
            .flatMap { ["model.layers.12.\($0).weight", "model.layers.12.\($0).bias"] }
        for name in names {
            XCTAssertEqual(try Llama.huggingFaceName(gguf: try Llama.ggufName(huggingFace: name), source: "test"), name)
        }
        XCTAssertThrowsError(try Llama.ggufName(huggingFace: "model.layers.0.mlp.experts.weight"))
    }

    func testRotaryPermutationIsTheInverseOfTheLoaders() {
        let (rows, heads, rowLength) = (12, 3, 2)
        let values = (0..<rows * rowLength).map(Float.init)
        let permuted = permuteRotaryRows(values, rows: rows, heads: heads)
        XCTAssertNotEqual(permuted, values)
        let restored = permuted.withUnsafeBytes { unpermuteRotaryRows($0, rows: rows, heads: heads) }
        XCTAssertEqual(Array(restored.buffer.bindMemory(to: Float.self)), values)
    }
}
