// The request bodies the server reads from strangers, decoded and checked as far as they can be
// without a model: what `afina-fuzz openai` feeds random bytes to, so the decoding and every
// field check the routes run meet inputs no client would send.
import Foundation

public enum RequestBodies {
    public enum Route: String, CaseIterable, Sendable {
        case chatCompletions = "/v1/chat/completions", completions = "/v1/completions"
    }

    /// Decodes `body` as `route`'s request and runs the checks that need no model, throwing the
    /// error the server would answer with. Returns the chat messages or the text prompt.
    @discardableResult
    public static func check(_ body: Data, as route: Route, limits: RequestLimits = RequestLimits()) throws -> [String] {
        switch route {
        case .chatCompletions:
            let request = try decodeRequestBody(ChatCompletionRequest.self, from: body)
            _ = try request.computedLogprobs()
            _ = try request.sampling.checked(defaultMaxTokens: limits.maxTokens, limits: limits)
            return request.chatMessages.map(\.content)
        case .completions:
            let request = try decodeRequestBody(CompletionRequest.self, from: body)
            _ = try request.computedLogprobs()
            _ = try request.sampling.checked(defaultMaxTokens: CompletionRequest.defaultMaxTokens, limits: limits)
            if case .text(let text) = request.prompt { return [text] }
            return []
        }
    }
}
