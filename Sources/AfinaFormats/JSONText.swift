// JSON string literals written by hand where key order and spacing must match another
// tool byte for byte (safetensors headers as serde_json writes them; Jinja's `tojson` as
// Python's json.dumps does).

public enum JSONText {
    /// `s` as a quoted JSON string: quotes, backslashes and control characters escaped
    /// (lower-case \u00xx, as serde_json and Python do); with `asciiOnly`, every non-ASCII
    /// character too, as UTF-16 \uXXXX units (Python's ensure_ascii).
    public static func quoted(_ s: String, asciiOnly: Bool = false) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7E):
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
