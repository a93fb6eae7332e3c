// JSON text to TemplateValue keeping object key order (RFC 8259, plus Python's NaN and
// Infinity), so tool schemas and tool-call arguments print back exactly as they came.

/// JSON text that cannot be read as a `TemplateValue`.
public struct TemplateJSONError: Error, Equatable, CustomStringConvertible {
    public let message: String
    /// 0-based offset in Unicode scalars where reading stopped.
    public let offset: Int
    public var description: String { "invalid JSON at offset \(offset): \(message)" }
}

extension TemplateValue {
    /// Reads JSON text. Object keys keep their order; numbers without a fraction or exponent
    /// become `.int` (when they fit), others `.double`, as Python's `json.loads`.
    public init(json text: String) throws {
        var reader = JSONReader(Array(text.unicodeScalars))
        reader.skipSpace()
        self = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.pos == reader.text.count else { throw reader.error("extra data after the value") }
    }
}

private struct JSONReader {
    let text: [Unicode.Scalar]
    var pos = 0

    init(_ text: [Unicode.Scalar]) { self.text = text }

    func error(_ message: String) -> TemplateJSONError { TemplateJSONError(message: message, offset: pos) }

    mutating func skipSpace() {
        while pos < text.count, [" ", "\t", "\n", "\r"].contains(text[pos]) { pos += 1 }
    }

    mutating func consume(_ word: String) -> Bool {
        let scalars = Array(word.unicodeScalars)
        guard pos + scalars.count <= text.count, text[pos..<(pos + scalars.count)].elementsEqual(scalars) else { return false }
        pos += scalars.count
        return true
    }

    mutating func value(depth: Int) throws -> TemplateValue {
        guard depth < 512 else { throw error("nesting too deep") }
        guard pos < text.count else { throw error("unexpected end of input") }
        switch text[pos] {
        case "{": return .dictionary(try object(depth: depth))
        case "[":
            pos += 1
            var items: [TemplateValue] = []
            skipSpace()
            if consume("]") { return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                if consume("]") { return .array(items) }
                guard consume(",") else { throw error("expected ',' or ']'") }
            }
        case "\"": return .string(try string())
        default:
            if consume("true") { return .bool(true) }
            if consume("false") { return .bool(false) }
            if consume("null") { return .null }
            if consume("NaN") { return .double(.nan) }
            if consume("Infinity") { return .double(.infinity) }
            if consume("-Infinity") { return .double(-.infinity) }
            return try number()
        }
    }

    mutating func object(depth: Int) throws -> TemplateDictionary {
        pos += 1
        var dictionary = TemplateDictionary()
        skipSpace()
        if consume("}") { return dictionary }
        while true {
            skipSpace()
            guard pos < text.count, text[pos] == "\"" else { throw error("expected a string key") }
            let key = try string()
            skipSpace()
            guard consume(":") else { throw error("expected ':'") }
            skipSpace()
            dictionary[key] = try value(depth: depth + 1)
            skipSpace()
            if consume("}") { return dictionary }
            guard consume(",") else { throw error("expected ',' or '}'") }
        }
    }

    mutating func number() throws -> TemplateValue {
        let start = pos
        if pos < text.count && text[pos] == "-" { pos += 1 }
        let digitsStart = pos
        while pos < text.count && Jinja.isDigit(text[pos]) { pos += 1 }
        guard pos > digitsStart else { throw error("expected a value") }
        var isInteger = true
        if pos < text.count && text[pos] == "." {
            pos += 1
            isInteger = false
            let fractionStart = pos
            while pos < text.count && Jinja.isDigit(text[pos]) { pos += 1 }
            guard pos > fractionStart else { throw error("expected digits after '.'") }
        }
        if pos < text.count && (text[pos] == "e" || text[pos] == "E") {
            pos += 1
            isInteger = false
            if pos < text.count && (text[pos] == "+" || text[pos] == "-") { pos += 1 }
            let exponentStart = pos
            while pos < text.count && Jinja.isDigit(text[pos]) { pos += 1 }
            guard pos > exponentStart else { throw error("expected exponent digits") }
        }
        let literal = Jinja.string(text[start..<pos])
        if isInteger, let value = Int(literal) { return .int(value) }
        guard let value = Double(literal) else { throw error("bad number '\(literal)'") }
        return .double(value)
    }

    mutating func string() throws -> String {
        pos += 1
        var out = String.UnicodeScalarView()
        while pos < text.count {
            let c = text[pos]
            pos += 1
            if c == "\"" { return String(out) }
            guard c == "\\" else {
                guard c.value >= 0x20 else { throw error("control character in string") }
                out.append(c)
                continue
            }
            guard pos < text.count else { break }
            let e = text[pos]
            pos += 1
            switch e {
            case "\"", "\\", "/": out.append(e)
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "t": out.append("\t")
            case "u":
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), consume("\\u") {
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        out.append("\u{FFFD}")
                        code = low
                    }
                }
                out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: throw error("bad escape '\\\(e)'")
            }
        }
        throw error("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard pos + 4 <= text.count, let code = UInt32(Jinja.string(text[pos..<(pos + 4)]), radix: 16) else {
            throw error("bad \\u escape")
        }
        pos += 4
        return code
    }
}
