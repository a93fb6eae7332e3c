// A minimal blocking HTTP/1.1 client over loopback sockets, so the server tests need no HTTP
// client package (HummingbirdTesting would pull AsyncHTTPClient and BoringSSL into the build).
import Foundation
import Hummingbird
#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to 127.0.0.1; calls block, so they run on their own thread.
final class LoopbackConnection: @unchecked Sendable {
    private let socketFD: Int32

    init(port: Int) throws {
        socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw HTTPTestError.socket("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { close(); throw HTTPTestError.socket("connect to port \(port): errno \(errno)") }
    }

    /// Sends the request; a server that answers early (413) and closes may cut the body short,
    /// which is not an error here: the reply says what happened.
    func send(_ method: HTTPRequest.Method, _ uri: String, body: String?, headers: HTTPFields) {
        var head = "\(method.rawValue) \(uri) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for field in headers { head += "\(field.name.rawName): \(field.value)\r\n" }
        let bodyBytes = Array((body ?? "").utf8)
        head += "Content-Length: \(bodyBytes.count)\r\n\r\n"
        var bytes = Array(head.utf8) + bodyBytes, sent = 0
        while sent < bytes.count {
            // MSG_NOSIGNAL: a closed peer gives EPIPE, not a SIGPIPE that ends the test run.
            let n = bytes.withUnsafeMutableBytes { Glibc.send(socketFD, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }

    /// Reads until the reply is complete (Content-Length or the last chunk) or the peer closes.
    func readReply() throws -> (status: HTTPResponse.Status, body: String) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            if let reply = try HTTPReplyParser.parse(received) { return reply }
            let n = buffer.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress!, $0.count, 0) }
            if n <= 0 {
                guard let reply = try HTTPReplyParser.parse(received, closed: true) else {
                    throw HTTPTestError.reply("connection closed after \(received.count) bytes")
                }
                return reply
            }
            received += buffer[..<n]
        }
    }

    func close() { _ = Glibc.close(socketFD) }
}

enum HTTPTestError: Error { case socket(String), reply(String) }

/// Parses a whole HTTP/1.1 reply, or returns nil while more bytes are needed.
enum HTTPReplyParser {
    static func parse(_ bytes: [UInt8], closed: Bool = false) throws -> (status: HTTPResponse.Status, body: String)? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = bytes.firstRange(of: separator) else { return nil }
        let headLines = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = headLines[0].split(separator: " ")
        guard statusParts.count >= 2, let code = Int(statusParts[1]) else { throw HTTPTestError.reply("status line '\(headLines[0])'") }
        var fields: [String: String] = [:]
        for line in headLines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let rest = Array(bytes[headEnd.upperBound...])
        let body: [UInt8]
        if fields["transfer-encoding"]?.lowercased() == "chunked" {
            guard let decoded = dechunk(rest) else { return nil }
            body = decoded
        } else if let length = fields["content-length"].flatMap(Int.init) {
            guard rest.count >= length else { return nil }
            body = Array(rest[..<length])
        } else {
            guard closed else { return nil }
            body = rest
        }
        return (HTTPResponse.Status(code: code), String(decoding: body, as: UTF8.self))
    }

    /// The body of a chunked transfer, or nil until its last (empty) chunk has arrived.
    static func dechunk(_ bytes: [UInt8]) -> [UInt8]? {
        var body: [UInt8] = [], index = 0
        let lineEnd: [UInt8] = [13, 10]
        while let end = bytes[index...].firstRange(of: lineEnd) {
            let sizeText = String(decoding: bytes[index..<end.lowerBound], as: UTF8.self).split(separator: ";", omittingEmptySubsequences: false)[0]
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
            if size == 0 { return body }
            let start = end.upperBound
            guard bytes.count >= start + size + 2 else { return nil }
            body += bytes[start..<start + size]
            index = start + size + 2
        }
        return nil
    }
}
