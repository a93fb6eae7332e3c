// POST /v1/load_lora_adapter and /v1/unload_lora_adapter, with vLLM's names and bodies:
// adapters added and removed while serving, offered only when the server has a loader.
import Hummingbird

/// Loads the LoRA adapter in `directory` over the served base, as the model `name`.
public typealias AdapterLoader = @Sendable (_ name: String, _ directory: String) throws -> ServedModel

struct AdapterRoutes: Sendable {
    let engine: InferenceEngine
    let loader: AdapterLoader
    let limits: RequestLimits

    struct LoadRequest: Decodable {
        let loraName: String
        let loraPath: String
        enum CodingKeys: String, CodingKey { case loraName = "lora_name", loraPath = "lora_path" }
    }

    struct UnloadRequest: Decodable {
        let loraName: String
        enum CodingKeys: String, CodingKey { case loraName = "lora_name" }
    }

    /// What changed: `{"model": NAME, "status": "loaded" | "unloaded"}`.
    struct Change: Encodable {
        let model: String
        let status: String
    }

    func load(_ request: Request) async throws -> Response {
        let body = try await request.decodeJSON(LoadRequest.self, limit: limits.maxBodyBytes)
        try check(!body.loraName.isEmpty, "lora_name is empty", "lora_name")
        guard !engine.models.contains(where: { $0.id == body.loraName }) else { throw APIError(.duplicateModel(body.loraName)) }
        // Reading and attaching the weights takes a while: off the concurrency pool.
        let model: ServedModel
        do {
            model = try await onOwnThread { [loader] in try loader(body.loraName, body.loraPath) }
        } catch {
            throw APIError.invalid("cannot load the adapter at '\(body.loraPath)': \(error)", param: "lora_path")
        }
        do {
            try await engine.add(model)
        } catch let rejection as EngineRejection {
            throw APIError(rejection)
        }
        return try jsonResponse(Change(model: body.loraName, status: "loaded"))
    }

    func unload(_ request: Request) async throws -> Response {
        let body = try await request.decodeJSON(UnloadRequest.self, limit: limits.maxBodyBytes)
        try check(body.loraName != engine.models.first?.id, "the base model cannot be unloaded", "lora_name")
        guard engine.remove(body.loraName) else {
            throw APIError(status: .notFound, message: "no adapter named '\(body.loraName)' is served",
                           type: "invalid_request_error", param: "lora_name", code: "model_not_found")
        }
        return try jsonResponse(Change(model: body.loraName, status: "unloaded"))
    }
}
