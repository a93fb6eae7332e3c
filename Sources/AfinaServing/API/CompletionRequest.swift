// POST /v1/completions request body (OpenAI's legacy text completions).

struct CompletionRequest: Decodable {
    /// `prompt`: a string, a list holding one string, or a list of token ids.
    enum Prompt: Decodable {
        case text(String)
        case tokens([Int32])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let text = try? c.decode(String.self) {
                self = .text(text)
            } else if let tokens = try? c.decode([Int32].self) {
                self = .tokens(tokens)
            } else if let texts = try? c.decode([String].self) {
                guard texts.count == 1 else {
                    throw APIError.invalid("prompt lists must hold exactly one prompt; send one request per prompt",
                                           param: "prompt")
                }
                self = .text(texts[0])
            } else {
                throw APIError.invalid("prompt must be a string or a list of token ids", param: "prompt")
            }
        }
    }

    let prompt: Prompt
    /// Alternatives per token (OpenAI allows up to 5).
    let logprobs: Int?
    let sampling: SamplingFields

    enum CodingKeys: String, CodingKey { case prompt, logprobs }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        prompt = try c.decode(Prompt.self, forKey: .prompt)
        logprobs = try c.decodeIfPresent(Int.self, forKey: .logprobs)
        sampling = try SamplingFields(from: decoder)
    }

    /// OpenAI's default for completions.
    static let defaultMaxTokens = 16

    /// Alternatives to compute per token: at least one whenever logprobs are asked for
    /// (`logprobs: 0` still reports the chosen token's own).
    func computedLogprobs() throws -> Int {
        guard let top = logprobs else { return 0 }
        try check((0...5).contains(top), "logprobs must be between 0 and 5, got \(top)", "logprobs")
        return max(top, 1)
    }
}
