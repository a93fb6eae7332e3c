// Server-sent events as OpenAI streams them: `data: JSON` blocks, ended by `data: [DONE]`.
import Hummingbird

extension Response {
    /// A 200 event stream whose events `write` sends, then `data: [DONE]`.
    static func eventStream(_ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        Response(status: .ok,
                 headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                 body: ResponseBody { writer in
                     try await write(&writer)
                     try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                     try await writer.finish(nil)
                 })
    }
}

extension ResponseBodyWriter {
    /// Sends `value` as one event.
    mutating func send(_ value: some Encodable) async throws {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try jsonBytes(value))
        buffer.writeString("\n\n")
        try await write(buffer)
    }
}

/// An error that ends a stream after its 200 status went out.
struct StreamedError: Encodable {
    let error: APIError
}
