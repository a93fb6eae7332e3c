// Chat completion responses: the whole answer, or one server-sent chunk of a streamed one.
import AfinaModels

struct ChatCompletion: Encodable {
    struct Message: Encodable {
        let role = "assistant"
        let content: String
    }

    struct Choice: Encodable {
        let index: Int
        let message: Message
        let logprobs: ChatLogprobs?
        let finishReason: String

        enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(message, forKey: .message)
            try c.encode(logprobs, forKey: .logprobs)   // null when not asked for
            try c.encode(finishReason, forKey: .finishReason)
        }
    }

    let id: String
    let object = "chat.completion"
    let created: Int
    let model: String
    let choices: [Choice]
    let usage: Usage

    init(header: ResponseHeader, results: [GenerationResult], usage: Usage, logprobs: ChatLogprobs.Builder?) {
        (id, created, model, self.usage) = (header.id, header.created, header.model, usage)
        choices = results.enumerated().map { i, r in
            Choice(index: i, message: Message(content: r.text), logprobs: logprobs?.build(r.logprobs),
                   finishReason: r.finishReason.rawValue)
        }
    }
}

struct ChatCompletionChunk: Encodable {
    struct Delta: Encodable {
        var role: String?
        var content: String?
    }

    struct Choice: Encodable {
        let index: Int
        let delta: Delta
        let logprobs: ChatLogprobs?
        let finishReason: String?

        enum CodingKeys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason" }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(delta, forKey: .delta)
            try c.encode(logprobs, forKey: .logprobs)
            try c.encode(finishReason, forKey: .finishReason)   // null until the last chunk
        }
    }

    let id: String
    let object = "chat.completion.chunk"
    let created: Int
    let model: String
    let choices: [Choice]
    /// Only in the extra last chunk that `stream_options.include_usage` asks for.
    let usage: Usage?

    init(header: ResponseHeader, choices: [Choice], usage: Usage? = nil) {
        (id, created, model, self.choices, self.usage) = (header.id, header.created, header.model, choices, usage)
    }
}

/// `logprobs` of a chat choice: each generated token with its top alternatives.
struct ChatLogprobs: Encodable {
    struct Entry: Encodable {
        let token: String
        let logprob: Float
        let bytes: [UInt8]
        let topLogprobs: [Entry]?

        enum CodingKeys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }
    }

    let content: [Entry]

    /// Turns engine log-probabilities into entries, keeping `top` alternatives per token.
    struct Builder: Sendable {
        let top: Int
        let tokenText: @Sendable ([Int32]) -> String

        func build(_ logprobs: [TokenLogprob]) -> ChatLogprobs {
            ChatLogprobs(content: logprobs.map { lp in
                let alternatives = (lp.top ?? []).prefix(top).map { entry($0, top: nil) }
                return entry(lp, top: Array(alternatives))
            })
        }

        private func entry(_ lp: TokenLogprob, top: [Entry]?) -> Entry {
            let text = tokenText([lp.id])
            return Entry(token: text, logprob: lp.logprob, bytes: Array(text.utf8), topLogprobs: top)
        }
    }
}
