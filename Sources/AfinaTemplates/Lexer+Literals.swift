// Number and string literals inside tags, with Python's syntax: `1_000`, `0x1F`, `1e-3`,
// and string escapes as Python's `unicode-escape` codec reads them (Jinja's lexer.py).

extension Jinja.Lexer {
    /// An integer or float literal (Python syntax with `_` separators), or nil.
    func number(at i: Int) throws -> (Jinja.Token.Kind, Int)? {
        guard Jinja.isDigit(source[i]) else { return nil }
        // Jinja's float rule has `(?<!\.)`, so `x.0.1` reads as two integer subscripts.
        let afterDot = i > 0 && source[i - 1] == "."
        if !afterDot, let (value, after) = float(at: i) { return (.float(value), after) }
        return try integer(at: i).map { (.integer($0.0), $0.1) }
    }

    /// `(\d+_)*\d+`: the end offset of a digit run, or nil.
    private func digits(at i: Int) -> Int? {
        guard i < source.count, Jinja.isDigit(source[i]) else { return nil }
        var j = i + 1
        while j < source.count {
            if Jinja.isDigit(source[j]) {
                j += 1
            } else if source[j] == "_" && j + 1 < source.count && Jinja.isDigit(source[j + 1]) {
                j += 2
            } else {
                break
            }
        }
        return j
    }

    private func float(at i: Int) -> (Double, Int)? {
        guard var j = digits(at: i) else { return nil }
        var hasFraction = false
        if j < source.count && source[j] == ".", let end = digits(at: j + 1) {
            j = end
            hasFraction = true
        }
        var hasExponent = false
        if j < source.count && (source[j] == "e" || source[j] == "E") {
            var k = j + 1
            if k < source.count && (source[k] == "+" || source[k] == "-") { k += 1 }
            if let end = digits(at: k) { j = end; hasExponent = true }
        }
        guard hasFraction || hasExponent else { return nil }
        let text = Jinja.string(source[i..<j].filter { $0 != "_" })
        return Double(text).map { ($0, j) }
    }

    /// `0b...`, `0o...`, `0x...` or decimal; Jinja reads `007` as `0` then `07`.
    private func integer(at i: Int) throws -> (Int, Int)? {
        let radix: Int? = i + 1 < source.count && source[i] == "0" ? Self.radixPrefixes[source[i + 1]] : nil
        if let radix {
            var j = i + 2
            var text = ""
            while j < source.count, source[j] == "_" || Int(String(source[j]), radix: radix) != nil {
                if source[j] != "_" { text.unicodeScalars.append(source[j]) }
                j += 1
            }
            if !text.isEmpty {
                guard let value = Int(text, radix: radix) else { throw Jinja.syntaxError("integer literal too large", at: location(i)) }
                return (value, j)
            }
        }
        guard let j = digits(at: i) else { return nil }
        if source[i] == "0" {
            var k = i + 1
            while k < j && (source[k] == "0" || source[k] == "_") { k += 1 }
            return (0, k)
        }
        guard let value = Int(Jinja.string(source[i..<j].filter { $0 != "_" })) else {
            throw Jinja.syntaxError("integer literal too large", at: location(i))
        }
        return (value, j)
    }

    private static let radixPrefixes: [Unicode.Scalar: Int] = ["b": 2, "B": 2, "o": 8, "O": 8, "x": 16, "X": 16]

    /// A quoted string with Python's escapes (`\n`, `\t`, `\xhh`, `\uXXXX`...); unknown escapes
    /// stay as written, as Python's `unicode-escape` codec does.
    func stringLiteral(at start: Int) throws -> (String, Int) {
        let quote = source[start]
        var out = String.UnicodeScalarView()
        var i = start + 1
        while i < source.count {
            let c = source[i]
            if c == quote { return (String(out), i + 1) }
            guard c == "\\" else { out.append(c); i += 1; continue }
            guard i + 1 < source.count else { break }
            let e = source[i + 1]
            i += 2
            switch e {
            case "\n": break
            case "\\", "'", "\"": out.append(e)
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "a": out.append("\u{07}")
            case "0"..."7":
                var value = Int(e.value - 48)
                var n = 1
                while n < 3 && i < source.count && ("0"..."7").contains(source[i]) {
                    value = value * 8 + Int(source[i].value - 48)
                    i += 1
                    n += 1
                }
                out.append(Unicode.Scalar(UInt32(value))!)
            case "x", "u", "U":
                let width = e == "x" ? 2 : e == "u" ? 4 : 8
                guard i + width <= source.count, source[i..<(i + width)].allSatisfy(\.properties.isASCIIHexDigit),
                      let scalar = UInt32(Jinja.string(source[i..<(i + width)]), radix: 16).flatMap(Unicode.Scalar.init) else {
                    throw Jinja.syntaxError("invalid \\\(e) escape in string literal", at: location(i - 2))
                }
                out.append(scalar)
                i += width
            case "N":
                throw Jinja.syntaxError("\\N{name} escapes are not supported", at: location(i - 2))
            default:
                out.append("\\")
                out.append(e)
            }
        }
        throw Jinja.syntaxError("unterminated string literal", at: location(start))
    }
}
