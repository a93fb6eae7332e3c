// Errors as OpenAI's API reports them: {"error": {"message", "type", "param", "code"}}, with
// the HTTP status clients (and the official SDKs) map to exception types.
import Foundation
import Hummingbird

public struct APIError: HTTPResponseError, Equatable {
    public let status: HTTPResponse.Status
    public let message: String
    /// invalid_request_error, authentication_error, rate_limit_error, server_error...
    public let type: String
    /// The request field at fault, if one is.
    public let param: String?
    public let code: String?

    public init(status: HTTPResponse.Status, message: String, type: String, param: String? = nil, code: String? = nil) {
        (self.status, self.message, self.type, self.param, self.code) = (status, message, type, param, code)
    }

    /// 400: a field is missing, malformed or out of range.
    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, type: "invalid_request_error", param: param, code: code)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try jsonResponse(Body(error: self), status: status)
    }

    private struct Body: Encodable { let error: APIError }
}

extension APIError: Encodable {
    enum CodingKeys: String, CodingKey { case message, type, param, code }

    /// Absent fields are written as null, as OpenAI does.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(message, forKey: .message)
        try c.encode(type, forKey: .type)
        try c.encode(param, forKey: .param)
        try c.encode(code, forKey: .code)
    }
}

/// A JSON response with `value` as the body.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(status: status, headers: [.contentType: "application/json"],
             body: ResponseBody(byteBuffer: ByteBuffer(bytes: try jsonBytes(value))))
}

func jsonBytes(_ value: some Encodable) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return try encoder.encode(value)
}
