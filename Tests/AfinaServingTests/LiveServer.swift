// Runs the server on a loopback port for one test and talks to it over real sockets.
import AfinaServing
import Foundation
import Hummingbird
import Logging
import XCTest

/// A client of the live server; every request opens its own connection, so requests sent
/// from concurrent tasks really are concurrent.
struct ServerClient: Sendable {
    let port: Int
    let engine: InferenceEngine

    struct Reply {
        let status: HTTPResponse.Status
        let body: String
        /// The body as a JSON object (empty when it is not one).
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
        /// `error` of an OpenAI-style error body.
        var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, body: String? = nil, headers: HTTPFields = [:]) async throws -> Reply {
        var headers = headers
        if body != nil { headers[.contentType] = "application/json" }
        let (port, sending) = (port, headers)
        let (status, text) = try await onOwnThread {
            let connection = try LoopbackConnection(port: port)
            defer { connection.close() }
            connection.send(method, uri, body: body, headers: sending)
            return try connection.readReply()
        }
        return Reply(status: status, body: text)
    }

    func post(_ uri: String, _ object: [String: Any], headers: HTTPFields = [:]) async throws -> Reply {
        try await send(.post, uri, body: jsonText(object), headers: headers)
    }

    /// Sends a request without reading the reply; closing the connection drops the client.
    func openStream(_ uri: String, _ object: [String: Any]) async throws -> OpenConnection {
        let (port, body) = (port, jsonText(object))
        let connection = try await onOwnThread {
            let connection = try LoopbackConnection(port: port)
            connection.send(.post, uri, body: body, headers: [.contentType: "application/json"])
            return connection
        }
        return OpenConnection(connection: connection)
    }

    struct OpenConnection {
        let connection: LoopbackConnection
        func close() async throws { connection.close() }
    }

    /// Polls the engine until `condition` holds (a test failure after `timeout` seconds).
    func waitFor(_ what: String, timeout: Double = 10, _ condition: (EngineStatistics) -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(engine.statistics) {
            guard Date() < deadline else { return XCTFail("timed out waiting for \(what): \(engine.statistics)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Serves `models` on a free loopback port while `test` runs, then stops the server and engine.
func withLiveServer(_ models: [ServedModel], engine options: EngineOptions = .init(),
                    server serverOptions: ServerOptions = .init(port: 0),
                    _ test: @escaping (ServerClient) async throws -> Void) async throws {
    let engine = try InferenceEngine(models: models, options: options)
    defer { engine.shutdown() }
    let (ports, listening) = AsyncStream<Int>.makeStream()
    // Quiet: stopping the server by cancellation is logged as an error by HummingbirdCore.
    let quiet = Logger(label: "afina.serve.test") { _ in SwiftLogNoOpLogHandler() }
    let app = OpenAIServer.application(engine: engine, options: serverOptions, logger: quiet) { listening.yield($0) }
    // The test runs once, awaited by the test's own task; it may hold [String: Any] bodies.
    let body = UncheckedSendable(value: test)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.run() }
        var next = ports.makeAsyncIterator()
        guard let port = await next.next() else { return XCTFail("the server did not start") }
        defer { group.cancelAll() }
        try await body.value(ServerClient(port: port, engine: engine))
    }
}

struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}

/// The `data:` payloads of a server-sent event stream, in order.
func eventPayloads(_ body: String) -> [String] {
    body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { event in
        event.hasPrefix("data: ") ? String(event.dropFirst(6)) : "NOT AN EVENT: \(event)"
    }
}

func jsonText(_ object: [String: Any]) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

func jsonObject(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
}

/// The text of choice 0 of a chat or text completion body.
func choiceText(_ json: [String: Any]) -> String? {
    let choice = (json["choices"] as? [[String: Any]])?.first
    return (choice?["message"] as? [String: Any])?["content"] as? String ?? choice?["text"] as? String
}
