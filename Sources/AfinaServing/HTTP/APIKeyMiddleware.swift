// Bearer-token check for the API routes. The comparison takes the same time wherever the
// first differing byte is, so response timing does not reveal the key byte by byte.
import Hummingbird

struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: [UInt8]

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let given = header.hasPrefix("Bearer ") ? Array(header.utf8.dropFirst(7)) : []
        guard constantTimeEqual(given, key) else {
            throw APIError(status: .unauthorized, message: "missing or wrong API key (send Authorization: Bearer KEY)",
                           type: "authentication_error", code: "invalid_api_key")
        }
        return try await next(request, context)
    }
}

/// Equality whose running time depends only on the lengths, not on where the bytes differ.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count) | (a.count == b.count ? 0 : 1)
    for i in 0..<max(a.count, b.count) {
        difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
    }
    return difference == 0
}
