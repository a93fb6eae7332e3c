// POST /v1/chat/completions request body (OpenAI's shape; unknown fields are ignored).
import AfinaTemplates

struct ChatCompletionRequest: Decodable {
    struct Message: Decodable {
        let role: String
        let content: Content?
    }

    /// A message's content: a string, or a list of parts of which only text parts are served.
    struct Content: Decodable {
        let text: String
        private struct Part: Decodable {
            let type: String
            let text: String?
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let text = try? c.decode(String.self) {
                self.text = text
                return
            }
            let parts = try c.decode([Part].self)
            guard parts.allSatisfy({ $0.type == "text" && $0.text != nil }) else {
                throw APIError.invalid("only text content parts are supported", param: "messages")
            }
            text = parts.compactMap(\.text).joined()
        }
    }

    let messages: [Message]
    let logprobs: Bool?
    let topLogprobs: Int?
    let sampling: SamplingFields

    enum CodingKeys: String, CodingKey {
        case messages, logprobs
        case topLogprobs = "top_logprobs"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        messages = try c.decode([Message].self, forKey: .messages)
        logprobs = try c.decodeIfPresent(Bool.self, forKey: .logprobs)
        topLogprobs = try c.decodeIfPresent(Int.self, forKey: .topLogprobs)
        sampling = try SamplingFields(from: decoder)
    }

    var chatMessages: [ChatMessage] {
        messages.map { ChatMessage(role: $0.role, content: $0.content?.text ?? "") }
    }

    /// Alternatives to report per token; the chosen token's own log-probability needs at
    /// least one computed, so 1 stands for `logprobs: true` without `top_logprobs`.
    func computedLogprobs() throws -> Int {
        let top = topLogprobs ?? 0
        try check((0...20).contains(top), "top_logprobs must be between 0 and 20, got \(top)", "top_logprobs")
        try check(top == 0 || logprobs == true, "top_logprobs needs logprobs: true", "top_logprobs")
        return logprobs == true ? max(top, 1) : 0
    }
}
