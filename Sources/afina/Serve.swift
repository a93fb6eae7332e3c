// afina serve: the OpenAI-compatible HTTP server (AfinaServing) over one model and its adapters.
import AfinaHub
import AfinaModels
import AfinaServing
import ArgumentParser
import Foundation

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a model (and LoRA adapters) over an OpenAI-compatible HTTP API.",
        discussion: """
            Routes: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health. \
            The base model is listed under its name and each --adapter under NAME; requests name one \
            in "model". Concurrent requests are decoded together (continuous batching, --max-batch \
            sequences at once); greedy answers are the same whatever else is running. \
            With --api-key (or AFINA_API_KEY) the /v1 routes need `Authorization: Bearer KEY`. \
            With --allow-adapter-loading, adapters can be added and removed while serving.
            """)

    @Option(help: "A pulled model name, a .gguf file or a Hugging Face directory.")
    var model: String = ModelCatalog.defaultModel
    @Option(name: .customLong("adapter"), help: "NAME=DIR: serve the LoRA adapter in DIR (peft's layout) as model NAME (repeatable).")
    var adapters: [String] = []
    @Option(help: "Address to listen on; the default accepts only this machine.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(name: .customLong("api-key"), help: "Require this bearer token on /v1 routes (default: $AFINA_API_KEY, else none).")
    var apiKey: String?
    @Option(name: .customLong("max-batch"), help: "Sequences decoded together (KV cache slots).") var maxBatch = 16
    @Option(name: .customLong("max-queue"), help: "Requests waiting for a slot before new ones get 429.") var maxQueue = 64
    @Option(name: .customLong("max-tokens-limit"), help: "Largest max_tokens a request may ask for.")
    var maxTokensLimit = 4096
    @Option(name: .customLong("max-body-bytes"), help: "Largest request body; larger ones get 413.")
    var maxBodyBytes = 1 << 20
    @Flag(name: .customLong("allow-adapter-loading"),
          help: "Let clients add and remove adapters while serving: POST /v1/load_lora_adapter {\"lora_name\", \"lora_path\"} and /v1/unload_lora_adapter {\"lora_name\"} (vLLM's API). The path is read on this machine: pair it with --api-key beyond loopback.")
    var allowAdapterLoading = false
    @Option(name: .customLong("context"),
            help: "Positions per sequence, prompt and answer, capped at the model's context. The KV cache holds --max-batch of them, allocated at start.")
    var context = 2048
    @OptionGroup var backendOptions: BackendOptions

    func validate() throws {
        guard maxBatch > 0, maxQueue >= 0, maxTokensLimit > 0, maxBodyBytes > 0, context > 1 else {
            throw ValidationError("--max-batch, --max-tokens-limit, --max-body-bytes must be positive, --max-queue >= 0, --context > 1")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        _ = try namedAdapters()
    }

    /// `--adapter NAME=DIR` pairs, in order.
    func namedAdapters() throws -> [(name: String, directory: String)] {
        try adapters.map { spec in
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
                throw ValidationError("--adapter takes NAME=DIR, got '\(spec)'")
            }
            return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
        }
    }

    /// Loads an adapter over --model at run time (--allow-adapter-loading).
    var loadAdapter: AdapterLoader {
        { [model, kind = backendOptions.kind] name, directory in
            ServedModel(id: name, loaded: try ModelLoader.load(model, adapter: URL(fileURLWithPath: directory),
                                                               backend: kind.makeBackend()))
        }
    }

    func run() throws {
        let baseName = ModelCatalog.entry(named: model) != nil ? model : URL(fileURLWithPath: model).lastPathComponent
        var served = [ServedModel(id: baseName, loaded: try ModelLoader.load(model, backend: backendOptions.make()))]
        for (name, directory) in try namedAdapters() {
            guard !served.contains(where: { $0.id == name }) else { throw ValidationError("model name '\(name)' is used twice") }
            // Each adapter rides on its own copy of the base; a GGUF base is memory-mapped, so the
            // copies share its pages.
            served.append(try loadAdapter(name, directory))
        }
        let engine = try InferenceEngine(models: served, options: EngineOptions(maxBatch: maxBatch, maxQueue: maxQueue,
                                                                            contextLength: context))
        let options = ServerOptions(
            host: host, port: port, apiKey: apiKey ?? ProcessInfo.processInfo.environment["AFINA_API_KEY"],
            limits: RequestLimits(maxTokens: maxTokensLimit, maxBodyBytes: maxBodyBytes),
            adapterLoader: allowAdapterLoading ? loadAdapter : nil)
        let details = "\(maxBatch) sequences of \(engine.contextLength) positions; rows per decoding product: "
            + served.map { "\($0.id) \(engine.decodeRows(of: $0.id)!)" }.joined(separator: ", ")
        let names = served.map(\.id).joined(separator: ", "), host = host
        let app = OpenAIServer.application(engine: engine, options: options) { port in
            // Written unbuffered once the port is bound (--port 0 picks one), so a script
            // waiting for the server sees it at once.
            FileHandle.standardOutput.write(Data("serving \(names) at http://\(host):\(port)/v1 (\(details))\n".utf8))
        }
        try blockUntilDone { try await app.runService() }
    }
}

/// Runs `body` on the concurrency pool and waits for it: the command tree is synchronous.
private func blockUntilDone(_ body: @escaping @Sendable () async throws -> Void) throws {
    final class Outcome: @unchecked Sendable { var error: Error? }
    let outcome = Outcome(), done = DispatchSemaphore(value: 0)
    Task {
        do { try await body() } catch { outcome.error = error }
        done.signal()
    }
    done.wait()
    if let error = outcome.error { throw error }
}
