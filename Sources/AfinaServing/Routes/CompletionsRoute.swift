// POST /v1/completions: a raw prompt (text or token ids) continued, whole or streamed.
import AfinaModels
import Hummingbird

struct CompletionsRoute: Sendable {
    let engine: InferenceEngine
    let limits: RequestLimits

    func handle(_ request: Request) async throws -> Response {
        let body = try await request.decodeJSON(CompletionRequest.self, limit: limits.maxBodyBytes)
        let model = try ServedRequest.model(named: body.sampling.model, in: engine)
        let prompt: [Int32]
        switch body.prompt {
        case .text(let text):
            prompt = model.encode(text)
        case .tokens(let ids):
            let vocabulary = model.network.vocabularySize
            try check(ids.allSatisfy { (0..<Int32(vocabulary)).contains($0) },
                      "token ids must be in 0..<\(vocabulary)", "prompt")
            prompt = ids
        }
        let served = try ServedRequest(model: model, prompt: prompt, promptParam: "prompt", sampling: body.sampling,
                                       topLogprobs: try body.computedLogprobs(),
                                       defaultMaxTokens: CompletionRequest.defaultMaxTokens, engine: engine, limits: limits)
        let top = body.logprobs ?? 0
        let header = ResponseHeader(prefix: "cmpl-", model: model.id)
        let choices = try served.submit(to: engine)
        guard body.sampling.streams else {
            defer { choices.cancel() }
            let results = try await choices.results()
            let textChoices = results.enumerated().map { i, r in
                TextCompletion.Choice(
                    text: r.text, index: i,
                    logprobs: served.usesLogprobs ? TextLogprobs(r.logprobs, top: top, tokenText: model.decode) : nil,
                    finishReason: r.finishReason.rawValue)
            }
            return try jsonResponse(TextCompletion(header: header, choices: textChoices,
                                                   usage: Usage(prompt: prompt.count, results: results)))
        }
        let includeUsage = body.sampling.includeUsage
        return .eventStream { writer in
            defer { choices.cancel() }
            var offsets = Array(repeating: 0, count: choices.streams.count)
            var results: [GenerationResult] = []
            for await (i, event) in choices.interleaved() {
                let choice: TextCompletion.Choice
                switch event {
                case .delta(let text, let lps):
                    let logprobs = served.usesLogprobs
                        ? TextLogprobs(lps, top: top, offset: offsets[i], tokenText: model.decode) : nil
                    offsets[i] += text.count
                    choice = .init(text: text, index: i, logprobs: logprobs, finishReason: nil)
                case .finished(let result):
                    results.append(result)
                    choice = .init(text: "", index: i, logprobs: nil, finishReason: result.finishReason.rawValue)
                case .failed(let message):
                    return try await writer.send(StreamedError(error: .serverError(message)))
                }
                try await writer.send(TextCompletion(header: header, choices: [choice], usage: nil))
            }
            if includeUsage {
                try await writer.send(TextCompletion(header: header, choices: [],
                                                     usage: Usage(prompt: prompt.count, results: results)))
            }
        }
    }
}
