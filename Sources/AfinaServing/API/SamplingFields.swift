// The request fields chat and text completions share, and their checks. Out-of-range values
// are refused with the field named, rather than clamped, as OpenAI does.
import AfinaModels

/// Limits the operator sets on what one request may ask for.
public struct RequestLimits: Sendable {
    /// Most tokens one choice may generate (`max_tokens`).
    public var maxTokens: Int
    /// Most choices one request may ask for (`n`).
    public var maxChoices: Int
    /// Largest request body in bytes.
    public var maxBodyBytes: Int

    public init(maxTokens: Int = 4096, maxChoices: Int = 16, maxBodyBytes: Int = 1 << 20) {
        (self.maxTokens, self.maxChoices, self.maxBodyBytes) = (maxTokens, maxChoices, maxBodyBytes)
    }
}

/// `stop`: one string or a list of them.
struct StopSequences: Decodable {
    let values: [String]
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        values = try (try? c.decode(String.self)).map { [$0] } ?? c.decode([String].self)
    }
}

struct StreamOptions: Decodable {
    let includeUsage: Bool?
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

struct SamplingFields: Decodable {
    let model: String
    let maxTokens: Int?
    let maxCompletionTokens: Int?
    let temperature: Double?
    let topP: Double?
    let stop: StopSequences?
    let seed: Int64?
    let n: Int?
    let stream: Bool?
    let streamOptions: StreamOptions?

    enum CodingKeys: String, CodingKey {
        case model, temperature, stop, seed, n, stream
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens", topP = "top_p"
        case streamOptions = "stream_options"
    }

    var choices: Int { n ?? 1 }
    var streams: Bool { stream ?? false }
    var includeUsage: Bool { streamOptions?.includeUsage ?? false }

    /// The generation request of choice 0 (choice i samples with seed + i); `defaultMaxTokens`
    /// applies when the request names none.
    func generationRequest(prompt: [Int32], model: ServedModel, topLogprobs: Int, defaultMaxTokens: Int,
                           limits: RequestLimits) throws -> GenerationRequest {
        let checked = try checked(defaultMaxTokens: defaultMaxTokens, limits: limits)
        return GenerationRequest(
            prompt: prompt, maxTokens: checked.maxTokens,
            sampling: SamplingParameters(temperature: Float(checked.temperature), topP: Float(checked.topP),
                                         seed: UInt64(bitPattern: seed ?? 0)),
            stopTokens: model.stopTokens, stopStrings: checked.stops, topLogprobs: topLogprobs)
    }

    /// The fields with their defaults, each checked against its range and `limits`.
    func checked(defaultMaxTokens: Int, limits: RequestLimits) throws
        -> (maxTokens: Int, temperature: Double, topP: Double, stops: [String]) {
        let maxTokens = maxCompletionTokens ?? self.maxTokens ?? defaultMaxTokens
        try check(maxTokens >= 1, "max_tokens must be at least 1, got \(maxTokens)", "max_tokens")
        try check(maxTokens <= limits.maxTokens,
                  "max_tokens must be at most \(limits.maxTokens) on this server, got \(maxTokens)", "max_tokens")
        let temperature = self.temperature ?? 1
        try check(temperature.isFinite && (0...2).contains(temperature),
                  "temperature must be between 0 and 2, got \(temperature)", "temperature")
        let topP = self.topP ?? 1
        try check(topP.isFinite && topP > 0 && topP <= 1, "top_p must be in (0, 1], got \(topP)", "top_p")
        try check((1...limits.maxChoices).contains(choices),
                  "n must be between 1 and \(limits.maxChoices), got \(choices)", "n")
        let stops = stop?.values ?? []
        try check(stops.count <= 4, "stop takes at most 4 sequences, got \(stops.count)", "stop")
        try check(!stops.contains(""), "stop sequences must not be empty", "stop")
        return (maxTokens, temperature, topP, stops)
    }
}

/// Throws a 400 naming `param` unless `condition` holds.
func check(_ condition: Bool, _ message: @autoclosure () -> String, _ param: String) throws {
    if !condition { throw APIError.invalid(message(), param: param) }
}
