// The real SmolLM2-135M-Instruct Q4_1 GGUF against transformers' dequantized float32 model
// (fixture: scripts/make_real_model_fixtures.py). The model is pulled by scripts/test.sh.
import AfinaFormats
import AfinaHub
import AfinaTensor
import Foundation
import XCTest
@testable import AfinaModels

final class SmolLM2Tests: XCTestCase {
    struct Record: Decodable {
        let prompt: String
        let ids: [Int32]
        let top5_ids: [Int32]
        let top5_logprobs: [Double]
        let greedy: [Int32]
    }
    struct Reference: Decodable {
        let eos_token_id: Int32
        let records: [Record]
    }

    static let reference: Reference = {
        let url = fixtureRoot.appendingPathComponent("smollm2/reference.json")
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    func pulledModel() throws -> URL {
        guard let url = ModelStore.standard().pulledFile(ModelCatalog.entry(named: "smollm2-135m-instruct")!) else {
            throw XCTSkip("run `afina pull smollm2-135m-instruct` first (scripts/test.sh does)")
        }
        return url
    }

    func checkTop5AndGreedy(_ model: any CausalLM, _ label: String) throws {
        let generator = Generator(model: model, decode: { _ in "" })
        let requests = Self.reference.records.map {
            GenerationRequest(prompt: $0.ids, maxTokens: 32, stopTokens: [Self.reference.eos_token_id], topLogprobs: 5)
        }
        let results = try generator.generate(requests)
        for (record, result) in zip(Self.reference.records, results) {
            let top = result.logprobs[0].top!
            XCTAssertEqual(top.map(\.id), record.top5_ids, "\(label) top-5 ids for \(record.prompt.debugDescription)")
            for (mine, theirs) in zip(top, record.top5_logprobs) {
                XCTAssertEqual(Double(mine.logprob), theirs, accuracy: 2e-3, "\(label) \(record.prompt.debugDescription)")
            }
            XCTAssertEqual(result.ids, record.greedy, "\(label) greedy continuation of \(record.prompt.debugDescription)")
        }
    }

    func testGGUFMatchesTransformersTop5AndGreedyContinuations() throws {
        let file = try GGUFFile(url: try pulledModel())
        try checkTop5AndGreedy(ModelLoader.network(gguf: file, backend: CPUBackend()).0 as! any CausalLM, "GGUF")
    }

    /// transformers' own safetensors export of the same model, loaded through the HF path.
    func testTransformersExportGivesTheSameResultsThroughTheHuggingFacePath() throws {
        let cache = ModelStore.standard().root.deletingLastPathComponent()
        let export = cache.appendingPathComponent("reference/smollm2-135m-instruct-hf")
        guard FileManager.default.fileExists(atPath: export.appendingPathComponent("model.safetensors").path) else {
            throw XCTSkip("made by scripts/make_real_model_fixtures.py (needs PyTorch); not present here")
        }
        try checkTop5AndGreedy(ModelLoader.network(huggingFace: HFDirectory(url: export), backend: CPUBackend()).0 as! any CausalLM, "HF")
    }

    func testInfoDescribesTheModel() throws {
        let loaded = try ModelLoader.load(try pulledModel().path)
        XCTAssertEqual(loaded.info.architecture, "llama")
        XCTAssertEqual(loaded.info.layers, 30)
        XCTAssertEqual(loaded.info.contextLength, 8192)
        XCTAssertEqual(loaded.info.tensorTypes, ["Q4_1": 210, "F32": 61, "Q8_0": 1])
        XCTAssertTrue(loaded.info.hasChatTemplate)
        XCTAssertEqual(loaded.stopTokens.contains(2), true)
    }
}
