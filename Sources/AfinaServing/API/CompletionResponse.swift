// Text completion responses; a streamed one sends the same shape, one choice delta at a time.
import AfinaModels

struct TextCompletion: Encodable {
    struct Choice: Encodable {
        let text: String
        let index: Int
        let logprobs: TextLogprobs?
        let finishReason: String?

        enum CodingKeys: String, CodingKey { case text, index, logprobs, finishReason = "finish_reason" }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(text, forKey: .text)
            try c.encode(index, forKey: .index)
            try c.encode(logprobs, forKey: .logprobs)          // null when not asked for
            try c.encode(finishReason, forKey: .finishReason)  // null in stream chunks until the last
        }
    }

    let id: String
    let object = "text_completion"
    let created: Int
    let model: String
    let choices: [Choice]
    let usage: Usage?

    init(header: ResponseHeader, choices: [Choice], usage: Usage?) {
        (id, created, model, self.choices, self.usage) = (header.id, header.created, header.model, choices, usage)
    }
}

/// `logprobs` of a text choice, in the legacy column layout.
struct TextLogprobs: Encodable {
    let tokens: [String]
    let tokenLogprobs: [Float]
    let topLogprobs: [[String: Float]]
    /// Character offset of each token in the choice's text.
    let textOffset: [Int]

    enum CodingKeys: String, CodingKey {
        case tokens, tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
    }

    /// Keeps `top` alternatives per token; `offset` is where the first token starts.
    init(_ logprobs: [TokenLogprob], top: Int, offset: Int = 0, tokenText: ([Int32]) -> String) {
        tokens = logprobs.map { tokenText([$0.id]) }
        tokenLogprobs = logprobs.map(\.logprob)
        topLogprobs = logprobs.map { lp in
            Dictionary((lp.top ?? []).prefix(top).map { (tokenText([$0.id]), $0.logprob) }, uniquingKeysWith: max)
        }
        var offsets: [Int] = [], position = offset
        for token in tokens {
            offsets.append(position)
            position += token.count
        }
        textOffset = offsets
    }
}
