// The `tojson` filter as transformers defines it: Python's `json.dumps(x, ensure_ascii=False,
// indent=None, separators=None, sort_keys=False)`, so no HTML escaping (unlike Jinja's own).

import AfinaFormats

extension Jinja {
    struct JSONOptions {
        var ensureASCII = false
        /// Text per nesting level; nil prints everything on one line.
        var indent: String?
        var itemSeparator: String
        var keySeparator: String
        var sortKeys = false

        /// Python's defaults: `", "` between items on one line, `","` when indenting.
        init(ensureASCII: Bool = false, indent: String? = nil, separators: (String, String)? = nil, sortKeys: Bool = false) {
            self.ensureASCII = ensureASCII
            self.indent = indent
            (itemSeparator, keySeparator) = separators ?? (indent == nil ? ", " : ",", ": ")
            self.sortKeys = sortKeys
        }
    }

    static func json(_ value: Value, _ options: JSONOptions) throws -> String {
        var out = ""
        try writeJSON(value, options, level: 0, into: &out)
        return out
    }

    private static func writeJSON(_ value: Value, _ options: JSONOptions, level: Int, into out: inout String) throws {
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : formatFloat(d)
        case .string(let s): out += JSONText.quoted(s, asciiOnly: options.ensureASCII)
        case .array(let items):
            try writeContainer("[", "]", items.count, options, level, into: &out) { i, out in
                try writeJSON(items[i], options, level: level + 1, into: &out)
            }
        case .dict(let dict):
            let entries = options.sortKeys
                ? dict.entries.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) { $0.value < $1.value } }
                : dict.entries
            try writeContainer("{", "}", entries.count, options, level, into: &out) { i, out in
                out += JSONText.quoted(entries[i].key, asciiOnly: options.ensureASCII)
                out += options.keySeparator
                try writeJSON(entries[i].value, options, level: level + 1, into: &out)
            }
        case .undefined, .namespace, .function:
            throw Failure("Object of type \(value.typeName) is not JSON serializable")
        }
    }

    private static func writeContainer(_ open: String, _ close: String, _ count: Int, _ options: JSONOptions, _ level: Int,
                                       into out: inout String, item: (Int, inout String) throws -> Void) throws {
        out += open
        guard count > 0 else { out += close; return }
        let newline = options.indent.map { "\n" + String(repeating: $0, count: level + 1) }
        for i in 0..<count {
            if i > 0 { out += options.itemSeparator }
            if let newline { out += newline }
            try item(i, &out)
        }
        if let indent = options.indent { out += "\n" + String(repeating: indent, count: level) }
        out += close
    }
}
