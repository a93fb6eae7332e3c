// Adapters added and removed while serving (POST /v1/load_lora_adapter, /v1/unload_lora_adapter):
// a loaded adapter answers as the generator does with it attached, an unloaded one is gone,
// and mistakes get OpenAI-style errors.
import AfinaFormats
import AfinaServing
import AfinaTensor
import XCTest
@testable import AfinaModels

/// The tiny Llama that Tests/Fixtures/training/lora was trained on, with that adapter
/// attached when `adapter` is given.
func llama3Rope(adapter: String? = nil) throws -> any CausalLM {
    let backend = CPUBackend()
    let directory = try HFDirectory(url: fixtureRoot.appendingPathComponent("models/llama3-rope"))
    let network = try ModelLoader.network(huggingFace: directory, backend: backend).0
    if let adapter {
        let (settings, weights) = try PEFTAdapter.read(URL(fileURLWithPath: adapter), backend: backend)
        try (network as! any TrainableModel).attachAdapters(settings, weights: weights, seed: 0)
    }
    return network as! any CausalLM
}

final class AdapterLoadingTests: XCTestCase {
    let adapterPath = fixtureRoot.appendingPathComponent("training/lora").path

    func completion(_ model: String) -> [String: Any] {
        ["model": model, "prompt": "hello", "max_tokens": 8, "temperature": 0]
    }

    func testAdapterLoadedWhileServingAnswersAsAttachedAndUnloadsAgain() async throws {
        let tuned = try Generator(model: try llama3Rope(adapter: adapterPath), decode: byteDecode)
            .generate([GenerationRequest(prompt: "hello".utf8.map { Int32($0) }, maxTokens: 8)])[0].text
        let loader: AdapterLoader = { name, directory in
            byteServedModel(id: name, network: try llama3Rope(adapter: directory))
        }
        try await withLiveServer([byteServedModel(id: "base", network: try llama3Rope())],
                                 server: ServerOptions(port: 0, adapterLoader: loader)) { [self] server in
            let base = try await server.post("/v1/completions", completion("base"))
            XCTAssertNotEqual(choiceText(base.json), tuned, "the adapter must change the answer for this test to mean anything")

            let loaded = try await server.post("/v1/load_lora_adapter", ["lora_name": "tuned", "lora_path": adapterPath])
            XCTAssertEqual(loaded.status, .ok, loaded.body)
            XCTAssertEqual(loaded.json["status"] as? String, "loaded")
            let listed = try await server.send(.get, "/v1/models").json["data"] as? [[String: Any]]
            XCTAssertEqual(listed?.compactMap { $0["id"] as? String }, ["base", "tuned"])
            let answer = try await server.post("/v1/completions", completion("tuned"))
            XCTAssertEqual(choiceText(answer.json), tuned, answer.body)
            let baseAgain = try await server.post("/v1/completions", completion("base"))
            XCTAssertEqual(choiceText(baseAgain.json), choiceText(base.json))

            let again = try await server.post("/v1/load_lora_adapter", ["lora_name": "tuned", "lora_path": adapterPath])
            XCTAssertEqual(again.status, .badRequest)
            XCTAssertEqual(again.error["code"] as? String, "model_exists")
            let missing = try await server.post("/v1/load_lora_adapter", ["lora_name": "other", "lora_path": "/no/such/dir"])
            XCTAssertEqual(missing.status, .badRequest)
            XCTAssertEqual(missing.error["param"] as? String, "lora_path")
            let noPath = try await server.post("/v1/load_lora_adapter", ["lora_name": "other"])
            XCTAssertEqual(noPath.error["param"] as? String, "lora_path")

            let unloaded = try await server.post("/v1/unload_lora_adapter", ["lora_name": "tuned"])
            XCTAssertEqual(unloaded.status, .ok, unloaded.body)
            let gone = try await server.post("/v1/completions", completion("tuned"))
            XCTAssertEqual(gone.status, .notFound)
            let unloadAgain = try await server.post("/v1/unload_lora_adapter", ["lora_name": "tuned"])
            XCTAssertEqual(unloadAgain.status, .notFound)
            let unloadBase = try await server.post("/v1/unload_lora_adapter", ["lora_name": "base"])
            XCTAssertEqual(unloadBase.status, .badRequest)
            let after = try await server.send(.get, "/v1/models").json["data"] as? [[String: Any]]
            XCTAssertEqual(after?.compactMap { $0["id"] as? String }, ["base"])
        }
    }

    func testLoadingRoutesAreAbsentUnlessAllowed() async throws {
        try await withLiveServer([byteServedModel(id: "base", network: try llama3Rope())]) { [adapterPath] server in
            let reply = try await server.post("/v1/load_lora_adapter", ["lora_name": "tuned", "lora_path": adapterPath])
            XCTAssertEqual(reply.status, .notFound)
            XCTAssertEqual(server.engine.models.map(\.id), ["base"])
        }
    }
}
