// The n choices of one request as engine sequences: submitted together, collected or
// streamed together, and cancelled together when the client goes away.
import AfinaModels

struct Choices: Sendable {
    let streams: [EngineStream]

    /// Submits `n` copies of `request`; copy i samples with seed + i. Refusals become API errors.
    init(_ request: GenerationRequest, n: Int, model: String, engine: InferenceEngine) throws {
        var streams: [EngineStream] = []
        do throws(EngineRejection) {
            for i in 0..<n {
                var choice = request
                choice.sampling.seed &+= UInt64(i)
                streams.append(try engine.submit(choice, model: model))
            }
        } catch {
            streams.forEach { $0.cancel() }
            throw APIError(error)
        }
        self.streams = streams
    }

    /// Frees the slots of choices still running (a no-op for finished ones).
    func cancel() { streams.forEach { $0.cancel() } }

    /// Every choice's result, once all have finished.
    func results() async throws -> [GenerationResult] {
        var results: [GenerationResult] = []
        for stream in streams {
            for await event in stream.events {
                switch event {
                case .delta: continue
                case .finished(let result): results.append(result)
                case .failed(let message): throw APIError.serverError(message)
                }
            }
        }
        guard results.count == streams.count else { throw APIError.serverError("a choice ended without a result") }
        return results
    }

    /// The events of all choices, tagged with the choice index, in the order they happen.
    func interleaved() -> AsyncStream<(choice: Int, event: EngineEvent)> {
        let (merged, continuation) = AsyncStream.makeStream(of: (choice: Int, event: EngineEvent).self)
        let forwarders = streams.enumerated().map { i, stream in
            Task { for await event in stream.events { continuation.yield((i, event)) } }
        }
        Task {
            for forwarder in forwarders { await forwarder.value }
            continuation.finish()
        }
        return merged
    }
}

extension APIError {
    static func serverError(_ message: String) -> APIError {
        APIError(status: .internalServerError, message: message, type: "server_error")
    }

    init(_ rejection: EngineRejection) {
        switch rejection {
        case .unknownModel(let id):
            self.init(status: .notFound, message: "the model '\(id)' does not exist (GET /v1/models lists them)",
                      type: "invalid_request_error", param: "model", code: "model_not_found")
        case .duplicateModel(let id):
            self.init(status: .badRequest, message: "a model named '\(id)' is already served", type: "invalid_request_error",
                      param: "lora_name", code: "model_exists")
        case .queueFull(let limit):
            self.init(status: .tooManyRequests, message: "the server is busy: \(limit) requests are already waiting",
                      type: "rate_limit_error", code: "queue_full")
        case .stopped:
            self.init(status: .serviceUnavailable, message: "the server is shutting down", type: "server_error",
                      code: "shutting_down")
        }
    }
}
