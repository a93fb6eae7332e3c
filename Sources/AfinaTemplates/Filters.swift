// Jinja's built-in filters that chat templates use (jinja2/filters.py), with the same
// argument names and defaults, plus transformers' `tojson`. Where Jinja returns a lazy
// generator (`map`, `select`...), this returns the list it would produce. The other Jinja
// built-ins (`batch`, `groupby`, `truncate`...) fail only when a template runs them.

extension Jinja {
    static func applyFilter(_ name: String, _ value: Value, _ args: CallArguments) throws -> Value {
        guard let filter = filters[name] else {
            throw Failure(jinjaFilterNames.contains(name) ? "the '\(name)' filter is not supported" : "No filter named '\(name)' found.")
        }
        return try filter(value, args)
    }

    static func isFilter(_ name: String) -> Bool { filters[name] != nil }

    /// All of Jinja's built-in filters (jinja2/filters.py), implemented here or not.
    static let jinjaFilterNames: Set = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join",
        "last", "length", "list", "lower", "map", "max", "min", "pprint", "random", "reject", "rejectattr",
        "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags",
        "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount",
        "wordwrap", "xmlattr",
    ]

    typealias Filter = @Sendable (Value, CallArguments) throws -> Value

    private static let filters: [String: Filter] = [
        "abs": { value, args in
            _ = try args.bind("abs", [])
            switch value.number {
            case .int(let i)?:
                guard i != .min else { throw Failure("integer overflow in abs()") }
                return .int(abs(i))
            case .double(let d)?: return .double(abs(d))
            default: throw Failure("bad operand type for abs(): '\(value.typeName)'")
            }
        },
        "attr": { value, args in
            // Python's getattr only: a dict's keys are not its attributes.
            let a = try args.bind("attr", ["name"], required: 1)
            let name = try a[0]!.string(for: "attr")
            try value.failIfUndefined()
            if let method = boundMethod(value, name) { return .function(method) }
            if case .namespace(let ns) = value, let attribute = ns.attributes[name] { return attribute }
            return .undefined("'\(value.objectDescription)' has no attribute '\(name)'")
        },
        "capitalize": { value, args in
            _ = try args.bind("capitalize", [])
            return .string(PyString(value.pythonString).capitalized())
        },
        "count": length,
        "length": length,
        "default": defaultValue,
        "d": defaultValue,
        "dictsort": { value, args in
            let a = try args.bind("dictsort", ["case_sensitive", "by", "reverse"])
            guard case .dict(let dict) = value else { throw Failure("'\(value.typeName)' object has no attribute 'items'") }
            let byValue: Bool
            switch try a[1]?.string(for: "dictsort") ?? "key" {
            case "key": byValue = false
            case "value": byValue = true
            default: throw Failure("You can only sort by either \"key\" or \"value\"")
            }
            let caseSensitive = a[0]?.isTruthy ?? false
            let sorted = try sortedStable(dict.entries, reverse: a[2]?.isTruthy ?? false) { entry in
                let key = byValue ? entry.value : .string(entry.key)
                return caseSensitive ? key : ignoringCase(key)
            }
            return .array(sorted.map { .array([.string($0.key), $0.value]) })
        },
        "escape": escape,
        "e": escape,
        "first": { value, args in
            _ = try args.bind("first", [])
            return try iterate(value).first ?? .undefined("No first item, sequence was empty.")
        },
        "last": { value, args in
            _ = try args.bind("last", [])
            return try iterate(value).last ?? .undefined("No last item, sequence was empty.")
        },
        "float": { value, args in
            let a = try args.bind("float", ["default"])
            try value.failIfUndefined()
            return parseFloat(value).map(Value.double) ?? a[0] ?? .double(0)
        },
        "int": { value, args in
            let a = try args.bind("int", ["default", "base"])
            try value.failIfUndefined()
            let base = try a[1]?.int(for: "int") ?? 10
            if case .string(let s) = value, let i = parseInt(s, base: base) { return .int(i) }
            if case .int(let i)? = value.number { return .int(i) }
            if let d = parseFloat(value), d.isFinite, let i = Int(exactly: d.rounded(.towardZero)) { return .int(i) }
            return a[0] ?? .int(0)
        },
        "indent": { value, args in
            let a = try args.bind("indent", ["width", "first", "blank"])
            let indentation: String = switch a[0] {
            case .string(let s)?: s
            case let width?: try spaces(width, for: "indent")
            case nil: "    "
            }
            try value.failIfUndefined()
            guard case .string(let s) = value else {
                throw Failure("unsupported operand type(s) for +=: '\(value.typeName)' and 'str'")
            }
            var lines = PyString(s + "\n").splitLines().map(\.string)
            try Limits.checkRepetition(indentation.utf8.count, count: lines.count, limit: Limits.textBytes, of: "an indentation")
            var text: String
            if a[2]?.isTruthy ?? false {
                text = lines.joined(separator: "\n" + indentation)
            } else {
                text = lines.removeFirst()
                if !lines.isEmpty {
                    text += "\n" + lines.map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
                }
            }
            return .string((a[1]?.isTruthy ?? false) ? indentation + text : text)
        },
        "items": { value, args in
            _ = try args.bind("items", [])
            switch value {
            case .undefined: return .array([])
            case .dict(let dict): return .array(dict.entries.map { .array([.string($0.key), $0.value]) })
            default: throw Failure("Can only get item pairs from a mapping.")
            }
        },
        "join": { value, args in
            let a = try args.bind("join", ["d", "attribute"])
            var items = try iterate(value)
            if let attribute = a[1] { items = try items.map(attributeGetter(attribute)) }
            return .string(items.map(\.pythonString).joined(separator: a[0]?.pythonString ?? ""))
        },
        "list": { value, args in
            _ = try args.bind("list", [])
            return .array(try iterate(value))
        },
        "lower": { value, args in
            _ = try args.bind("lower", [])
            return .string(value.pythonString.lowercased())
        },
        "upper": { value, args in
            _ = try args.bind("upper", [])
            return .string(value.pythonString.uppercased())
        },
        "map": { value, args in
            let items = value.isTruthy ? try iterate(value) : []
            if args.positional.isEmpty, let attribute = args.keyword.first(where: { $0.name == "attribute" })?.value {
                let a = try args.bind("map", ["attribute", "default"])
                let getter = attributeGetter(attribute, default: a[1])
                return .array(try items.map(getter))
            }
            guard let first = args.positional.first else { throw Failure("map requires a filter name or attribute=") }
            let filterName = try first.string(for: "map")
            var rest = args
            rest.positional.removeFirst()
            return .array(try items.map { try applyFilter(filterName, $0, rest) })
        },
        "max": { value, args in try minOrMax(value, args, wantMax: true) },
        "min": { value, args in try minOrMax(value, args, wantMax: false) },
        "select": { value, args in try selectOrReject(value, args, byAttribute: false, keep: true) },
        "reject": { value, args in try selectOrReject(value, args, byAttribute: false, keep: false) },
        "selectattr": { value, args in try selectOrReject(value, args, byAttribute: true, keep: true) },
        "rejectattr": { value, args in try selectOrReject(value, args, byAttribute: true, keep: false) },
        "replace": { value, args in
            let a = try args.bind("replace", ["old", "new", "count"], required: 2)
            let count = try a[2].flatMap { $0.isNone ? nil : try $0.int(for: "replace") } ?? -1
            return .string(PyString(value.pythonString).replacing(a[0]!.scalars, with: a[1]!.scalars, count: count).string)
        },
        "reverse": { value, args in
            _ = try args.bind("reverse", [])
            if case .string(let s) = value { return .string(Jinja.string(s.unicodeScalars.reversed())) }
            return .array(try iterate(value).reversed())
        },
        "round": { value, args in
            let a = try args.bind("round", ["precision", "method"])
            let precision = try a[0]?.int(for: "round") ?? 0
            let method = try a[1]?.string(for: "round") ?? "common"
            guard ["common", "ceil", "floor"].contains(method) else { throw Failure("method must be common, ceil or floor") }
            if method == "common", case .int(let i)? = value.number, precision >= 0 { return .int(i) }
            guard let number = value.number else { throw Failure("type \(value.typeName) doesn't define __round__ method") }
            let scale = pow10(precision)
            let rule: FloatingPointRoundingRule = method == "ceil" ? .up : method == "floor" ? .down : .toNearestOrEven
            return .double((number.asDouble * scale).rounded(rule) / scale)
        },
        // Markup(value): a string, which needs no escaping since nothing is auto-escaped here.
        "safe": { value, args in
            _ = try args.bind("safe", [])
            return .string(value.pythonString)
        },
        "sort": { value, args in
            let a = try args.bind("sort", ["reverse", "case_sensitive", "attribute"])
            let caseSensitive = a[1]?.isTruthy ?? false
            let getter = a[2].map { attributeGetter($0) } ?? { $0 }
            return .array(try sortedStable(try iterate(value), reverse: a[0]?.isTruthy ?? false) { item in
                let key = try getter(item)
                return caseSensitive ? key : ignoringCase(key)
            })
        },
        "string": { value, args in
            _ = try args.bind("string", [])
            return .string(value.pythonString)
        },
        "sum": { value, args in
            let a = try args.bind("sum", ["attribute", "start"])
            var items = try iterate(value)
            if let attribute = a[0] { items = try items.map(attributeGetter(attribute)) }
            return try items.reduce(a[1] ?? .int(0)) { try binary(.add, $0, $1) }
        },
        "title": { value, args in
            _ = try args.bind("title", [])
            return .string(PyString(value.pythonString).jinjaTitle())
        },
        "tojson": { value, args in
            let a = try args.bind("tojson", ["ensure_ascii", "indent", "separators", "sort_keys"])
            let indent: String? = switch a[1] {
            case nil, .some(.none): nil
            case .string(let s)?: s
            case let width?: try spaces(width, for: "tojson")
            }
            var separators: (String, String)?
            if let given = a[2], !given.isNone {
                let parts = try iterate(given)
                guard parts.count == 2 else { throw Failure("tojson separators must be a pair of strings") }
                separators = (try parts[0].string(for: "tojson"), try parts[1].string(for: "tojson"))
            }
            let options = JSONOptions(ensureASCII: a[0]?.isTruthy ?? false, indent: indent, separators: separators,
                                      sortKeys: a[3]?.isTruthy ?? false)
            return .string(try json(value, options))
        },
        "trim": { value, args in
            let a = try args.bind("trim", ["chars"])
            let chars: [Unicode.Scalar]? = switch a[0] {
            case nil, .some(.none): nil
            case let chars?: chars.scalars
            }
            return .string(PyString(value.pythonString).stripped(chars).string)
        },
        "unique": { value, args in
            let a = try args.bind("unique", ["case_sensitive", "attribute"])
            let caseSensitive = a[0]?.isTruthy ?? false
            let getter = a[1].map { attributeGetter($0) } ?? { $0 }
            var seen: [Value] = []
            var kept: [Value] = []
            for item in try iterate(value) {
                let key = caseSensitive ? try getter(item) : ignoringCase(try getter(item))
                if !seen.contains(where: { $0.equals(key) }) {
                    seen.append(key)
                    kept.append(item)
                }
            }
            return .array(kept)
        },
    ]

    /// `width` spaces (an indent width), within what a template may build.
    private static func spaces(_ width: Value, for filter: String) throws -> String {
        let count = try width.int(for: filter)
        try Limits.checkRepetition(1, count: count, limit: Limits.textBytes, of: "an indent")
        return String(repeating: " ", count: max(count, 0))
    }

    private static func length(_ value: Value, _ args: CallArguments) throws -> Value {
        _ = try args.bind("length", [])
        switch value {
        case .undefined: return .int(0)
        case .string(let s): return .int(s.unicodeScalars.count)
        case .array(let items): return .int(items.count)
        case .dict(let dict): return .int(dict.count)
        default: throw Failure("object of type '\(value.typeName)' has no len()")
        }
    }

    private static func defaultValue(_ value: Value, _ args: CallArguments) throws -> Value {
        let a = try args.bind("default", ["default_value", "boolean"])
        let useDefault = value.isUndefined || (a[1]?.isTruthy ?? false) && !value.isTruthy
        return useDefault ? a[0] ?? .string("") : value
    }

    /// Markup's HTML escaping of `str(value)`.
    private static func escape(_ value: Value, _ args: CallArguments) throws -> Value {
        _ = try args.bind("escape", [])
        var out = ""
        for c in value.pythonString.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return .string(out)
    }

    /// Jinja's `make_attrgetter`: `"a.b"` or `"0"` looks up items step by step.
    static func attributeGetter(_ attribute: Value, default fallback: Value? = nil) -> (Value) throws -> Value {
        let parts: [Value] = switch attribute {
        case .string(let path): path.split(separator: ".", omittingEmptySubsequences: false).map { part in
            Int(part).map(Value.int) ?? .string(String(part))
        }
        default: [attribute]
        }
        return { item in
            var current = item
            for part in parts { current = try Jinja.item(current, part) }
            if current.isUndefined, let fallback, !fallback.isNone { return fallback }
            return current
        }
    }

    /// Jinja's `ignore_case`: strings compare lower-cased.
    private static func ignoringCase(_ value: Value) -> Value {
        if case .string(let s) = value { return .string(s.lowercased()) }
        return value
    }

    /// Python's stable `sorted(items, key=key, reverse=reverse)`.
    private static func sortedStable<T>(_ items: [T], reverse: Bool, key: (T) throws -> Value) throws -> [T] {
        let keyed = try items.enumerated().map { (index: $0.offset, key: try key($0.element), item: $0.element) }
        return try keyed.sorted { a, b in
            if a.key.equals(b.key) { return a.index < b.index }
            return reverse ? try less(b.key, a.key, .less) : try less(a.key, b.key, .less)
        }.map(\.item)
    }

    private static func minOrMax(_ value: Value, _ args: CallArguments, wantMax: Bool) throws -> Value {
        let a = try args.bind(wantMax ? "max" : "min", ["case_sensitive", "attribute"])
        let caseSensitive = a[0]?.isTruthy ?? false
        let getter = a[1].map { attributeGetter($0) } ?? { $0 }
        var best: (item: Value, key: Value)?
        for item in try iterate(value) {
            let key = caseSensitive ? try getter(item) : ignoringCase(try getter(item))
            if let current = best {
                if wantMax ? try less(current.key, key, .less) : try less(key, current.key, .less) { best = (item, key) }
            } else {
                best = (item, key)
            }
        }
        return best?.item ?? .undefined("No aggregated item, sequence was empty.")
    }

    /// `select`/`reject` (a test on each item) and `selectattr`/`rejectattr` (on an attribute).
    private static func selectOrReject(_ value: Value, _ args: CallArguments, byAttribute: Bool, keep: Bool) throws -> Value {
        var testArguments = args
        var getter: (Value) throws -> Value = { $0 }
        if byAttribute {
            guard !testArguments.positional.isEmpty else { throw Failure("Missing parameter for attribute name") }
            getter = attributeGetter(testArguments.positional.removeFirst())
        }
        var testName: String?
        if !testArguments.positional.isEmpty {
            testName = try testArguments.positional.removeFirst().string(for: "select")
        }
        let items = value.isTruthy ? try iterate(value) : []
        return .array(try items.filter { item in
            let subject = try getter(item)
            let passed = try testName.map { try applyTest($0, subject, testArguments) } ?? subject.isTruthy
            return passed == keep
        })
    }

    /// Python's `int(text, base)`: surrounding whitespace, a sign and `_` between digits allowed.
    private static func parseInt(_ text: String, base: Int) -> Int? {
        var body = PyString(text).stripped(nil).string
        var negative = false
        if body.hasPrefix("-") || body.hasPrefix("+") {
            negative = body.hasPrefix("-")
            body.removeFirst()
        }
        guard !body.isEmpty, !body.hasPrefix("_"), !body.hasSuffix("_"), !body.contains("__") else { return nil }
        guard let magnitude = Int(body.replacing("_", with: ""), radix: base) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// Python's `float(value)` for numbers and numeric strings.
    private static func parseFloat(_ value: Value) -> Double? {
        switch value {
        case .string(let s):
            let body = PyString(s).stripped(nil).string
            return body.lowercased().hasPrefix("0x") ? nil : Double(body.replacing("_", with: ""))
        default: return value.number?.asDouble
        }
    }

    private static func pow10(_ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<min(abs(n), 400) { result *= 10 }
        return n < 0 ? 1 / result : result
    }
}
