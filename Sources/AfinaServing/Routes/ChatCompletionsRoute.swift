// POST /v1/chat/completions: the conversation through the model's chat template, answered
// whole or streamed as chat.completion.chunk events.
import AfinaModels
import Hummingbird

struct ChatCompletionsRoute: Sendable {
    let engine: InferenceEngine
    let limits: RequestLimits

    func handle(_ request: Request) async throws -> Response {
        let body = try await request.decodeJSON(ChatCompletionRequest.self, limit: limits.maxBodyBytes)
        let model = try ServedRequest.model(named: body.sampling.model, in: engine)
        try check(!body.messages.isEmpty, "messages must hold at least one message", "messages")
        let prompt: [Int32]
        do {
            prompt = try model.renderChat(body.chatMessages)
        } catch {
            throw APIError.invalid("the messages could not be rendered with the model's chat template: \(error)",
                                   param: "messages")
        }
        let served = try ServedRequest(model: model, prompt: prompt, promptParam: "messages", sampling: body.sampling,
                                       topLogprobs: try body.computedLogprobs(), defaultMaxTokens: nil,
                                       engine: engine, limits: limits)
        let logprobs = served.usesLogprobs ? ChatLogprobs.Builder(top: body.topLogprobs ?? 0, tokenText: model.decode) : nil
        let header = ResponseHeader(prefix: "chatcmpl-", model: model.id)
        let choices = try served.submit(to: engine)
        guard body.sampling.streams else {
            defer { choices.cancel() }
            let results = try await choices.results()
            return try jsonResponse(ChatCompletion(header: header, results: results,
                                                   usage: Usage(prompt: prompt.count, results: results), logprobs: logprobs))
        }
        let includeUsage = body.sampling.includeUsage
        return .eventStream { writer in
            defer { choices.cancel() }
            func chunk(_ index: Int, _ delta: ChatCompletionChunk.Delta, _ logprobs: ChatLogprobs? = nil,
                       finish: String? = nil) -> ChatCompletionChunk {
                ChatCompletionChunk(header: header, choices: [.init(index: index, delta: delta, logprobs: logprobs,
                                                                    finishReason: finish)])
            }
            for i in choices.streams.indices { try await writer.send(chunk(i, .init(role: "assistant", content: ""))) }
            var results: [GenerationResult] = []
            for await (i, event) in choices.interleaved() {
                switch event {
                case .delta(let text, let lps):
                    try await writer.send(chunk(i, .init(content: text), logprobs?.build(lps)))
                case .finished(let result):
                    results.append(result)
                    try await writer.send(chunk(i, .init(), finish: result.finishReason.rawValue))
                case .failed(let message):
                    return try await writer.send(StreamedError(error: .serverError(message)))
                }
            }
            if includeUsage {
                try await writer.send(ChatCompletionChunk(header: header, choices: [],
                                                          usage: Usage(prompt: prompt.count, results: results)))
            }
        }
    }
}
