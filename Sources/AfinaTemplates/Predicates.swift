// Jinja's tests, the names after `is` (`x is defined`, `x is not none`, `n is divisibleby 3`),
// from jinja2/tests.py with Python's notion of each type (a bool is a number but not an
// integer; Undefined is iterable).

extension Jinja {
    static func applyTest(_ name: String, _ value: Value, _ args: CallArguments) throws -> Bool {
        if let test = unaryTests[name] {
            _ = try args.bind(name, [])
            return try test(value)
        }
        if let test = comparisonTests[name] {
            let a = try args.bind(name, ["other"], required: 1)
            return try test(value, a[0]!)
        }
        throw Failure(jinjaTestNames.contains(name) ? "the '\(name)' test is not supported" : "No test named '\(name)' found.")
    }

    static func isTest(_ name: String) -> Bool { unaryTests[name] != nil || comparisonTests[name] != nil }

    /// All of Jinja's built-in tests (jinja2/tests.py), implemented here or not.
    static let jinjaTestNames: Set = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "filter",
        "float", "ge", "greaterthan", "gt", "in", "integer", "iterable", "le", "lessthan", "lower", "lt", "mapping",
        "ne", "none", "number", "odd", "sameas", "sequence", "string", "test", "true", "undefined", "upper",
        "==", "!=", "<", "<=", ">", ">=",
    ]

    private static let unaryTests: [String: @Sendable (Value) throws -> Bool] = [
        "defined": { !$0.isUndefined },
        "undefined": { $0.isUndefined },
        "none": { $0.isNone },
        "boolean": { if case .bool = $0 { true } else { false } },
        "true": { if case .bool(true) = $0 { true } else { false } },
        "false": { if case .bool(false) = $0 { true } else { false } },
        "integer": { if case .int = $0 { true } else { false } },
        "float": { if case .double = $0 { true } else { false } },
        "number": { $0.number != nil },
        "string": { if case .string = $0 { true } else { false } },
        "mapping": { if case .dict = $0 { true } else { false } },
        "callable": {
            switch $0 {
            case .function, .undefined: true
            default: false
            }
        },
        "iterable": {
            switch $0 {
            case .string, .array, .dict, .undefined: true
            default: false
            }
        },
        "sequence": {
            switch $0 {
            case .string, .array, .dict, .undefined: true
            default: false
            }
        },
        "odd": { try binary(.modulo, $0, .int(2)).equals(.int(1)) },
        "even": { try binary(.modulo, $0, .int(2)).equals(.int(0)) },
        "lower": { value in
            let cased = value.pythonString.unicodeScalars.filter(isCased)
            return !cased.isEmpty && cased.allSatisfy { !$0.properties.isUppercase }
        },
        "upper": { value in
            let cased = value.pythonString.unicodeScalars.filter(isCased)
            return !cased.isEmpty && cased.allSatisfy { !$0.properties.isLowercase }
        },
    ]

    private static let comparisonTests: [String: @Sendable (Value, Value) throws -> Bool] = [
        "eq": { $0.equals($1) }, "equalto": { $0.equals($1) }, "==": { $0.equals($1) },
        "ne": { !$0.equals($1) }, "!=": { !$0.equals($1) },
        "lt": { try less($0, $1, .less) }, "lessthan": { try less($0, $1, .less) }, "<": { try less($0, $1, .less) },
        "le": { try compare(.lessOrEqual, $0, $1) }, "<=": { try compare(.lessOrEqual, $0, $1) },
        "gt": { try less($1, $0, .greater) }, "greaterthan": { try less($1, $0, .greater) }, ">": { try less($1, $0, .greater) },
        "ge": { try compare(.greaterOrEqual, $0, $1) }, ">=": { try compare(.greaterOrEqual, $0, $1) },
        "in": { try contains($1, $0) },
        "divisibleby": { try binary(.modulo, $0, $1).equals(.int(0)) },
        // Python's `is`: None, True, False, CPython's cached small ints and the same namespace.
        "sameas": { a, b in
            switch (a, b) {
            case (.none, .none): true
            case (.bool(let x), .bool(let y)): x == y
            case (.int(let x), .int(let y)): x == y && (-5...256).contains(x)
            case (.namespace(let x), .namespace(let y)): x === y
            default: false
            }
        },
    ]
}
