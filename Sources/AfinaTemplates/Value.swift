// The interpreter's dynamic value: Python's types as Jinja templates see them, plus Jinja's
// Undefined (renders empty, is falsy, iterates as empty, fails on any other use), namespaces
// (the one mutable object) and callables (macros, globals, bound methods).

extension Jinja {
    enum Value {
        /// A missing variable, attribute or item; the text is the error to raise if it is used.
        case undefined(String)
        case none
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case array([Value])
        case dict(Dict)
        case namespace(Namespace)
        case function(Function)

        init(_ value: TemplateValue) {
            switch value {
            case .null: self = .none
            case .bool(let b): self = .bool(b)
            case .int(let i): self = .int(i)
            case .double(let d): self = .double(d)
            case .string(let s): self = .string(s)
            case .array(let items): self = .array(items.map(Value.init))
            case .dictionary(let dictionary):
                var dict = Dict()
                for (key, item) in dictionary.entries { dict[key] = Value(item) }
                self = .dict(dict)
            }
        }

        static func undefinedName(_ name: String) -> Value { .undefined("'\(name)' is undefined") }

        var isUndefined: Bool {
            if case .undefined = self { return true }
            return false
        }

        var isNone: Bool {
            if case .none = self { return true }
            return false
        }

        /// Python truthiness.
        var isTruthy: Bool {
            switch self {
            case .undefined, .none: false
            case .bool(let b): b
            case .int(let i): i != 0
            case .double(let d): d != 0
            case .string(let s): !s.isEmpty
            case .array(let items): !items.isEmpty
            case .dict(let dict): !dict.isEmpty
            case .namespace, .function: true
            }
        }

        /// The Python type name used in error messages (`'int' object is not iterable`).
        var typeName: String {
            switch self {
            case .undefined: "Undefined"
            case .none: "NoneType"
            case .bool: "bool"
            case .int: "int"
            case .double: "float"
            case .string: "str"
            case .array: "list"
            case .dict: "dict"
            case .namespace: "Namespace"
            case .function: "function"
            }
        }

        /// Jinja's `object_type_repr`, as in "'dict object' has no attribute 'x'".
        var objectDescription: String {
            if case .none = self { return "None" }
            return "\(typeName) object"
        }

        /// Bool, int and float as a number (Python's `bool` is an `int`).
        var number: Number? {
            switch self {
            case .bool(let b): .int(b ? 1 : 0)
            case .int(let i): .int(i)
            case .double(let d): .double(d)
            default: nil
            }
        }

        /// The undefined value's own error, to throw when it is used.
        func failIfUndefined() throws {
            if case .undefined(let message) = self { throw Failure(message) }
        }
    }

    enum Number {
        case int(Int)
        case double(Double)

        var asDouble: Double {
            switch self {
            case .int(let i): Double(i)
            case .double(let d): d
            }
        }

        var value: Value {
            switch self {
            case .int(let i): .int(i)
            case .double(let d): .double(d)
            }
        }
    }

    /// An insertion-ordered dictionary with string keys.
    struct Dict {
        private(set) var keys: [String] = []
        private var storage: [String: Value] = [:]

        var isEmpty: Bool { keys.isEmpty }
        var count: Int { keys.count }
        var values: [Value] { keys.map { storage[$0]! } }
        var entries: [(key: String, value: Value)] { keys.map { ($0, storage[$0]!) } }

        subscript(key: String) -> Value? {
            get { storage[key] }
            set {
                if let newValue {
                    if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
                } else if storage.removeValue(forKey: key) != nil {
                    keys.removeAll { $0 == key }
                }
            }
        }
    }

    /// `namespace(...)`: attributes that `{% set ns.x = ... %}` can change from inside loops.
    final class Namespace {
        var attributes: Dict
        init(_ attributes: Dict) { self.attributes = attributes }
    }

    /// A callable: a macro, a global function or a bound method.
    struct Function {
        let name: String
        let call: (CallArguments) throws -> Value
    }

    /// Evaluated call arguments.
    struct CallArguments {
        var positional: [Value] = []
        var keyword: [(name: String, value: Value)] = []
    }
}

extension Jinja.Value {
    /// Python `==`: numbers compare by value across bool/int/float, containers element-wise,
    /// dicts regardless of order; Undefined equals only Undefined.
    func equals(_ other: Jinja.Value) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case (.dict(let a), .dict(let b)):
            return a.count == b.count && a.entries.allSatisfy { key, value in b[key].map(value.equals) ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        default:
            switch (number, other.number) {
            case (.int(let a)?, .int(let b)?): return a == b
            case (let a?, let b?): return a.asDouble == b.asDouble
            default: return false
            }
        }
    }
}
