// The OpenAI-compatible HTTP server: routes over one inference engine, an optional API key
// on /v1, and OpenAI-style JSON errors for everything a client can get wrong.
import Hummingbird
import Logging

/// Where and how the server listens.
public struct ServerOptions: Sendable {
    /// Loopback by default: serving other machines is a choice (`--host 0.0.0.0`).
    public var host: String
    public var port: Int
    /// When set, /v1 routes need `Authorization: Bearer KEY`; /health stays open.
    public var apiKey: String?
    public var limits: RequestLimits

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, limits: RequestLimits = .init()) {
        (self.host, self.port, self.apiKey, self.limits) = (host, port, apiKey, limits)
    }
}

public enum OpenAIServer {
    /// The routes: /health, /v1/models, /v1/chat/completions, /v1/completions.
    public static func router(engine: InferenceEngine, options: ServerOptions) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("health") { _, _ in try jsonResponse(Health(engine: engine.statistics)) }
        let api = router.group("v1")
        if let key = options.apiKey { api.add(middleware: APIKeyMiddleware(key: Array(key.utf8))) }
        api.get("models") { _, _ in try jsonResponse(ModelList(engine)) }
        let chat = ChatCompletionsRoute(engine: engine, limits: options.limits)
        api.post("chat/completions") { request, _ in try await chat.handle(request) }
        let completions = CompletionsRoute(engine: engine, limits: options.limits)
        api.post("completions") { request, _ in try await completions.handle(request) }
        return router
    }

    /// The application listening on `options.host` and `options.port` (0: any free port);
    /// `onListening` gets the bound port once connections are accepted.
    public static func application(engine: InferenceEngine, options: ServerOptions,
                                   logger: Logger = Logger(label: "afina.serve"),
                                   onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(engine: engine, options: options),
                    configuration: .init(address: .hostname(options.host, port: options.port), serverName: "afina"),
                    onServerRunning: { await onListening($0.localAddress?.port ?? options.port) },
                    logger: logger)
    }
}
