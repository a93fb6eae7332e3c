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
    /// When set, clients may add and remove adapters (POST /v1/load_lora_adapter and
    /// /v1/unload_lora_adapter); off by default, since the request names a local path.
    public var adapterLoader: AdapterLoader?

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: String? = nil, limits: RequestLimits = .init(),
                adapterLoader: AdapterLoader? = nil) {
        (self.host, self.port, self.apiKey, self.limits) = (host, port, apiKey, limits)
        self.adapterLoader = adapterLoader
    }
}

public enum OpenAIServer {
    /// The routes: /health, /v1/models, /v1/chat/completions, /v1/completions, and with an
    /// adapter loader /v1/load_lora_adapter and /v1/unload_lora_adapter.
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
        if let loader = options.adapterLoader {
            let adapters = AdapterRoutes(engine: engine, loader: loader, limits: options.limits)
            api.post("load_lora_adapter") { request, _ in try await adapters.load(request) }
            api.post("unload_lora_adapter") { request, _ in try await adapters.unload(request) }
        }
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
