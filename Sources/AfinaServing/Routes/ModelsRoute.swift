// GET /v1/models (the base and each adapter, each its own id) and GET /health.
import Hummingbird

struct ModelList: Encodable {
    struct Model: Encodable {
        let id: String
        let object = "model"
        let created = 0
        let ownedBy = "afina"
        enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
    }

    let object = "list"
    let data: [Model]

    init(_ engine: InferenceEngine) {
        data = engine.models.map { Model(id: $0.id) }
    }
}

struct Health: Encodable {
    let status = "ok"
    let engine: EngineStatistics
}
