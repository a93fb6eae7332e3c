// What chat and text completions have in common once their bodies are read: the model, the
// checked generation request, and how many choices to run and how to send them.
import AfinaModels

struct ServedRequest {
    let model: ServedModel
    let generation: GenerationRequest
    let sampling: SamplingFields

    /// Checks the prompt against the context and the sampling fields against `limits`.
    init(model: ServedModel, prompt: [Int32], promptParam: String, sampling: SamplingFields, topLogprobs: Int,
         defaultMaxTokens: Int?, engine: InferenceEngine, limits: RequestLimits) throws {
        try check(!prompt.isEmpty, "the prompt is empty", promptParam)
        guard prompt.count < engine.contextLength else {
            throw APIError.invalid("the prompt has \(prompt.count) tokens; this server's context holds \(engine.contextLength) "
                                   + "(prompt and answer together)", param: promptParam, code: "context_length_exceeded")
        }
        self.model = model
        self.sampling = sampling
        generation = try sampling.generationRequest(
            prompt: prompt, model: model, topLogprobs: topLogprobs,
            defaultMaxTokens: defaultMaxTokens ?? min(limits.maxTokens, engine.contextLength - prompt.count),
            limits: limits)
    }

    /// The model a request names: 404 when the server does not serve it.
    static func model(named id: String, in engine: InferenceEngine) throws -> ServedModel {
        guard let model = engine.models.first(where: { $0.id == id }) else { throw APIError(.unknownModel(id)) }
        return model
    }

    func submit(to engine: InferenceEngine) throws -> Choices {
        try Choices(generation, n: sampling.choices, model: model.id, engine: engine)
    }

    var usesLogprobs: Bool { generation.topLogprobs > 0 }
}
