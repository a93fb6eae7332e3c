// The Python methods templates call on strings (`content.strip()`, `role.startswith('x')`),
// dicts (`message.items()`, `tool.get('name')`) and lists (`count`, `index`). Jinja's
// sandbox forbids the mutating ones (`append`, `update`, `pop`...), so none are offered.

extension Jinja {
    static func boundMethod(_ object: Value, _ name: String) -> Function? {
        switch object {
        case .string(let s):
            guard stringMethods.contains(name) else { return nil }
            return Function(name: "str.\(name)") { try callStringMethod(name, PyString(s), $0) }
        case .dict(let dict):
            guard dictMethods.contains(name) else { return nil }
            return Function(name: "dict.\(name)") { try callDictMethod(name, dict, $0) }
        case .array(let items) where name == "count" || name == "index":
            return Function(name: "list.\(name)") { args in
                let needle = try args.bind(name, ["value"], required: 1)[0]!
                if name == "count" { return .int(items.filter { $0.equals(needle) }.count) }
                guard let index = items.firstIndex(where: { $0.equals(needle) }) else {
                    throw Failure("\(needle.pythonRepr) is not in list")
                }
                return .int(index)
            }
        default:
            return nil
        }
    }

    private static let dictMethods: Set = ["items", "keys", "values", "get"]

    private static func callDictMethod(_ name: String, _ dict: Dict, _ args: CallArguments) throws -> Value {
        switch name {
        case "items":
            _ = try args.bind(name, [])
            return .array(dict.entries.map { .array([.string($0.key), $0.value]) })
        case "keys":
            _ = try args.bind(name, [])
            return .array(dict.keys.map(Value.string))
        case "values":
            _ = try args.bind(name, [])
            return .array(dict.values)
        default:  // get
            let a = try args.bind(name, ["key", "default"], required: 1)
            guard case .string(let key) = a[0]! else { return a[1] ?? .none }
            return dict[key] ?? a[1] ?? .none
        }
    }

    private static let stringMethods: Set = [
        "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines", "upper", "lower", "title", "capitalize",
        "replace", "startswith", "endswith", "find", "rfind", "count", "join", "format",
        "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower",
    ]

    private static func callStringMethod(_ name: String, _ s: PyString, _ args: CallArguments) throws -> Value {
        func str(_ p: PyString) -> Value { .string(p.string) }
        func optionalScalars(_ v: Value?) throws -> [Unicode.Scalar]? {
            switch v {
            case nil, .some(.none), .some(.undefined): return nil
            case let v?: return Array(try v.string(for: name).unicodeScalars)
            }
        }
        func noArguments() throws { _ = try args.bind(name, []) }
        func all(_ predicate: (Unicode.Scalar) -> Bool) -> Value {
            .bool(!s.scalars.isEmpty && s.scalars.allSatisfy(predicate))
        }
        switch name {
        case "strip", "lstrip", "rstrip":
            let chars = try optionalScalars(try args.bind(name, ["chars"])[0])
            return str(s.stripped(chars, leading: name != "rstrip", trailing: name != "lstrip"))
        case "split", "rsplit":
            let a = try args.bind(name, ["sep", "maxsplit"])
            let separator = try optionalScalars(a[0])
            if separator?.isEmpty == true { throw Failure("empty separator") }
            let maxSplits = try a[1]?.int(for: name) ?? -1
            if name == "rsplit", let separator {
                return .array(s.rsplit(separator, maxSplits: maxSplits).map(str))
            }
            return .array(s.split(separator, maxSplits: maxSplits).map(str))
        case "splitlines":
            try noArguments()
            return .array(s.splitLines().map(str))
        case "upper":
            try noArguments()
            return .string(s.string.uppercased())
        case "lower":
            try noArguments()
            return .string(s.string.lowercased())
        case "title":
            try noArguments()
            return .string(s.pythonTitle())
        case "capitalize":
            try noArguments()
            return .string(s.capitalized())
        case "replace":
            let a = try args.bind(name, ["old", "new", "count"], required: 2)
            let old = Array(try a[0]!.string(for: name).unicodeScalars)
            let new = Array(try a[1]!.string(for: name).unicodeScalars)
            return str(s.replacing(old, with: new, count: try a[2]?.int(for: name) ?? -1))
        case "startswith", "endswith":
            let a = try args.bind(name, ["prefix", "start", "end"], required: 1)
            var text = s
            if a[1] != nil || a[2] != nil {
                guard case .string(let cut) = try slice(.string(s.string), start: a[1] ?? .none, stop: a[2] ?? .none, step: .none) else {
                    return .bool(false)
                }
                text = PyString(cut)
            }
            let candidates: [Value] = if case .array(let items) = a[0]! { items } else { [a[0]!] }
            for candidate in candidates {
                let affix = Array(try candidate.string(for: name).unicodeScalars)
                if name == "startswith" ? text.hasPrefix(affix) : text.hasSuffix(affix) { return .bool(true) }
            }
            return .bool(false)
        case "find", "rfind", "count":
            let a = try args.bind(name, ["sub"], required: 1)
            let needle = Array(try a[0]!.string(for: name).unicodeScalars)
            if name == "count" { return .int(s.count(needle)) }
            return .int((name == "find" ? s.find(needle) : s.rfind(needle)) ?? -1)
        case "join":
            let a = try args.bind(name, ["iterable"], required: 1)
            let parts = try iterate(a[0]!).enumerated().map { i, item in
                guard case .string(let part) = item else {
                    throw Failure("sequence item \(i): expected str instance, \(item.typeName) found")
                }
                return part
            }
            return .string(parts.joined(separator: s.string))
        case "format":
            return .string(try format(s, args))
        case "isdigit": try noArguments(); return all { $0.properties.numericType == .decimal || $0.properties.numericType == .digit }
        case "isalpha": try noArguments(); return all { $0.properties.isAlphabetic }
        case "isalnum": try noArguments(); return all { $0.properties.isAlphabetic || $0.properties.numericType != nil }
        case "isspace": try noArguments(); return all(isSpace)
        case "isupper", "islower":
            try noArguments()
            let cased = s.scalars.filter(isCased)
            let wantUpper = name == "isupper"
            return .bool(!cased.isEmpty && cased.allSatisfy { wantUpper ? !$0.properties.isLowercase : !$0.properties.isUppercase })
        default:
            throw Failure("'str' object has no attribute '\(name)'")
        }
    }

    /// `str.format` with `{}`, `{0}`, `{name}`, `{{`/`}}` and the `!s`/`!r` conversions;
    /// format specs (`{:>8}`) are not supported.
    private static func format(_ s: PyString, _ args: CallArguments) throws -> String {
        var out = ""
        var nextIndex = 0
        var i = 0
        let c = s.scalars
        while i < c.count {
            if c[i] == "{" && i + 1 < c.count && c[i + 1] == "{" { out += "{"; i += 2; continue }
            if c[i] == "}" && i + 1 < c.count && c[i + 1] == "}" { out += "}"; i += 2; continue }
            if c[i] == "}" { throw Failure("single '}' encountered in format string") }
            guard c[i] == "{" else { out.unicodeScalars.append(c[i]); i += 1; continue }
            guard let close = c[i...].firstIndex(of: "}") else { throw Failure("single '{' encountered in format string") }
            var field = Jinja.string(c[(i + 1)..<close])
            i = close + 1
            var conversion: Character?
            if let bang = field.firstIndex(of: "!") {
                conversion = field[field.index(after: bang)...].first
                field = String(field[..<bang])
            }
            if field.contains(":") { throw Failure("format specs in str.format are not supported") }
            let value: Value
            if field.isEmpty {
                guard nextIndex < args.positional.count else { throw Failure("Replacement index \(nextIndex) out of range") }
                value = args.positional[nextIndex]
                nextIndex += 1
            } else if let index = Int(field) {
                guard index < args.positional.count else { throw Failure("Replacement index \(index) out of range") }
                value = args.positional[index]
            } else {
                guard let named = args.keyword.first(where: { $0.name == field }) else { throw Failure("KeyError: '\(field)'") }
                value = named.value
            }
            out += conversion == "r" ? value.pythonRepr : value.pythonString
        }
        return out
    }
}
