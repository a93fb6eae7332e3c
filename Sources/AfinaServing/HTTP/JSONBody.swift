// Reading a JSON request body within the size limit, with errors that name the field at fault.
import Foundation
import Hummingbird

extension Request {
    /// The body decoded as `T`: 413 past `limit` bytes, 400 when it is not valid JSON or a
    /// field is missing or has the wrong type.
    func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        let tooLarge = APIError(status: .contentTooLarge, message: "the request body is larger than \(limit) bytes",
                                type: "invalid_request_error", code: "request_too_large")
        if let length = headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            // Past the limit without a Content-Length (chunked); a dropped connection hears nothing.
            throw tooLarge
        }
        return try decodeRequestBody(T.self, from: Data(buffer.readableBytesView))
    }
}

/// `data` decoded as `T`, a decoding failure as the 400 error that names the field.
func decodeRequestBody<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as DecodingError {
        throw APIError(error)
    }
}

extension APIError {
    init(_ error: DecodingError) {
        func path(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            self = .invalid("the request body is not valid JSON")
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            self = .invalid("missing required field '\(field)'", param: field)
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let field = path(context.codingPath)
            self = .invalid("invalid value for '\(field)': \(context.debugDescription)", param: field)
        @unknown default:
            self = .invalid("the request body could not be read: \(error)")
        }
    }
}
