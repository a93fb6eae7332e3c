// How values print: Python's `str()` (what `{{ x }}` and `~` produce) and `repr()` (used
// inside lists and dicts), including Python's shortest round-trip float format.

extension Jinja.Value {
    /// Python's `str(x)`, with Undefined as the empty string (as Jinja renders it).
    var pythonString: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: pythonRepr
        }
    }

    /// Python's `repr(x)`.
    var pythonRepr: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .double(let d): Jinja.formatFloat(d)
        case .string(let s): Jinja.reprString(s)
        case .array(let items): "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .dict(let dict): Jinja.reprDict(dict)
        case .namespace(let ns): "<Namespace \(Jinja.reprDict(ns.attributes))>"
        case .function(let f): "<function \(f.name)>"
        }
    }
}

extension Jinja {
    static func reprDict(_ dict: Dict) -> String {
        "{" + dict.entries.map { reprString($0.key) + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
    }

    /// Python's `repr(str)`: single quotes unless the text has a single quote and no double
    /// quote; non-printable characters escaped.
    static func reprString(_ s: String) -> String {
        let hasSingle = s.unicodeScalars.contains("'")
        let quote: Unicode.Scalar = hasSingle && !s.unicodeScalars.contains("\"") ? "\"" : "'"
        var out = String.UnicodeScalarView([quote])
        for c in s.unicodeScalars {
            switch c {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case quote: out.append("\\"); out.append(c)
            default:
                if isPrintable(c) {
                    out.append(c)
                } else {
                    let hex = String(c.value, radix: 16)
                    let (prefix, width) = c.value < 0x100 ? ("\\x", 2) : c.value < 0x10000 ? ("\\u", 4) : ("\\U", 8)
                    out.append(contentsOf: (prefix + String(repeating: "0", count: width - hex.count) + hex).unicodeScalars)
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    /// Python's `str.isprintable` for one character: not a control, format, surrogate,
    /// private-use, unassigned or separator character (the ASCII space excepted).
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        if c == " " { return true }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned,
             .lineSeparator, .paragraphSeparator, .spaceSeparator: return false
        default: return true
        }
    }

    /// Python's `repr(float)`: the shortest digits that round-trip, in positional notation
    /// when the decimal exponent is in [-4, 16), scientific otherwise (`1e-05`, `1e+16`).
    static func formatFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description also prints the shortest round-trip digits; only the layout differs.
        let (digits, exponent) = shortestDigits(abs(d))
        let sign = d < 0 ? "-" : ""
        let pointPosition = exponent + 1  // digits before the decimal point
        if -4 < pointPosition && pointPosition <= 16 {
            if pointPosition <= 0 {
                return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
            }
            if pointPosition >= digits.count {
                return sign + digits + String(repeating: "0", count: pointPosition - digits.count) + ".0"
            }
            let cut = digits.index(digits.startIndex, offsetBy: pointPosition)
            return sign + digits[..<cut] + "." + digits[cut...]
        }
        let mantissa = digits.count == 1 ? digits : String(digits.first!) + "." + digits.dropFirst()
        let exponentText = String(abs(exponent))
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (exponentText.count < 2 ? "0" : "") + exponentText
    }

    /// The significant digits of a positive finite double and the decimal exponent of the
    /// first one (value = d.ddd × 10^exponent).
    private static func shortestDigits(_ d: Double) -> (String, Int) {
        let text = d.description
        let parts = text.split(separator: "e", maxSplits: 1)
        var exponent = parts.count > 1 ? Int(parts[1])! : 0
        let mantissa = parts[0]
        let integerPart = mantissa.split(separator: ".", omittingEmptySubsequences: false)[0]
        var digits = mantissa.filter { $0 != "." }
        exponent += integerPart.count - 1
        while digits.first == "0" { digits.removeFirst(); exponent -= 1 }
        while digits.count > 1 && digits.last == "0" { digits.removeLast() }
        return (digits, exponent)
    }
}
