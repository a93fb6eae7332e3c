// Python semantics for Jinja's operators: arithmetic (with Python's floor division and
// modulo), comparison, membership, iteration, attribute and item lookup, and slicing.

import Foundation

extension Jinja {
    static func binary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
        if op == .concat { return .string(a.pythonString + b.pythonString) }
        try a.failIfUndefined()
        try b.failIfUndefined()
        switch (op, a, b) {
        case (.add, .string(let x), .string(let y)): return .string(x + y)
        case (.add, .array(let x), .array(let y)): return .array(x + y)
        case (.multiply, .string(let s), _), (.multiply, _, .string(let s)):
            guard case .int(let n)? = (a.number != nil ? a : b).number else { break }
            try Limits.checkRepetition(s.utf8.count, count: n, limit: Limits.textBytes, of: "a string")
            return .string(String(repeating: s, count: max(n, 0)))
        case (.multiply, .array(let items), _), (.multiply, _, .array(let items)):
            guard case .int(let n)? = (a.number != nil ? a : b).number else { break }
            try Limits.checkRepetition(items.count, count: n, limit: Limits.items, of: "a list")
            return .array(Array(repeating: items, count: max(n, 0)).flatMap { $0 })
        case (.modulo, .string, _):
            throw Failure("'%' string formatting is not supported; use '~' or the format method")
        default: break
        }
        guard let x = a.number, let y = b.number else {
            throw Failure("unsupported operand type(s) for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'")
        }
        return try arithmetic(op, x, y)
    }

    private static func arithmetic(_ op: BinaryOperator, _ a: Number, _ b: Number) throws -> Value {
        if case .int(let x) = a, case .int(let y) = b {
            func checked(_ result: (partialValue: Int, overflow: Bool)) throws -> Int {
                guard !result.overflow else { throw Failure("integer overflow in '\(op.rawValue)'") }
                return result.partialValue
            }
            switch op {
            case .add: return .int(try checked(x.addingReportingOverflow(y)))
            case .subtract: return .int(try checked(x.subtractingReportingOverflow(y)))
            case .multiply: return .int(try checked(x.multipliedReportingOverflow(by: y)))
            case .floorDivide, .modulo:
                guard y != 0 else { throw Failure("integer division or modulo by zero") }
                var (q, r) = x.quotientAndRemainder(dividingBy: y)
                if r != 0 && (r < 0) != (y < 0) { q -= 1; r += y }
                return .int(op == .floorDivide ? q : r)
            case .power where y >= 0:
                // Exponentiation by squaring, failing on overflow instead of wrapping.
                var result = 1, base = x, exponent = y
                while exponent > 0 {
                    if exponent & 1 == 1 { result = try checked(result.multipliedReportingOverflow(by: base)) }
                    exponent >>= 1
                    if exponent > 0 { base = try checked(base.multipliedReportingOverflow(by: base)) }
                }
                return .int(result)
            default: break
            }
        }
        let x = a.asDouble, y = b.asDouble
        switch op {
        case .add: return .double(x + y)
        case .subtract: return .double(x - y)
        case .multiply: return .double(x * y)
        case .divide:
            guard y != 0 else { throw Failure("division by zero") }
            return .double(x / y)
        case .floorDivide:
            guard y != 0 else { throw Failure("float floor division by zero") }
            return .double((x / y).rounded(.down))
        case .modulo:
            guard y != 0 else { throw Failure("float modulo") }
            let r = x.truncatingRemainder(dividingBy: y)
            return .double(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case .power: return .double(pow(x, y))
        case .concat: return .string(Value.double(x).pythonString + Value.double(y).pythonString)
        }
    }

    /// Python's `<`/`>` ordering: numbers, strings by code point, lists element-wise.
    static func less(_ a: Value, _ b: Value, _ op: CompareOperator) throws -> Bool {
        try a.failIfUndefined()
        try b.failIfUndefined()
        switch (a, b) {
        case (.string(let x), .string(let y)):
            return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars) { $0.value < $1.value }
        case (.array(let x), .array(let y)):
            for (u, v) in zip(x, y) where !u.equals(v) { return try less(u, v, op) }
            return x.count < y.count
        default:
            switch (a.number, b.number) {
            case (.int(let x)?, .int(let y)?): return x < y
            case (let x?, let y?): return x.asDouble < y.asDouble
            default:
                throw Failure("'\(op.rawValue)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
            }
        }
    }

    static func compare(_ op: CompareOperator, _ a: Value, _ b: Value) throws -> Bool {
        switch op {
        case .equal: return a.equals(b)
        case .notEqual: return !a.equals(b)
        case .less: return try less(a, b, op)
        case .greater: return try less(b, a, op)
        case .lessOrEqual: return try a.equals(b) || less(a, b, op)
        case .greaterOrEqual: return try a.equals(b) || less(b, a, op)
        case .in: return try contains(b, a)
        case .notIn: return try !contains(b, a)
        }
    }

    /// Python's `needle in container`.
    static func contains(_ container: Value, _ needle: Value) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let n) = needle else {
                throw Failure("'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return PyString(s).contains(Array(n.unicodeScalars))
        case .array(let items): return items.contains { $0.equals(needle) }
        case .dict(let dict):
            switch needle {
            case .string(let key): return dict[key] != nil
            case .array, .dict, .namespace: throw Failure("unhashable type: '\(needle.typeName)'")
            default: return false
            }
        case .undefined: return false
        default: throw Failure("argument of type '\(container.typeName)' is not iterable")
        }
    }

    /// The items of a `for` loop or of `list(x)`: a dict gives its keys, a string its
    /// characters, Undefined nothing.
    static func iterate(_ value: Value) throws -> [Value] {
        switch value {
        case .array(let items): return items
        case .dict(let dict): return dict.keys.map(Value.string)
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default: throw Failure("'\(value.typeName)' object is not iterable")
        }
    }

    /// `obj.name`: a method or attribute first, then an item (Jinja's `getattr`).
    static func attribute(_ object: Value, _ name: String) throws -> Value {
        try object.failIfUndefined()
        if let method = boundMethod(object, name) { return .function(method) }
        switch object {
        case .dict(let dict): if let value = dict[name] { return value }
        case .namespace(let ns): if let value = ns.attributes[name] { return value }
        default: break
        }
        return .undefined("'\(object.objectDescription)' has no attribute '\(name)'")
    }

    /// `obj[key]`: an item first, then a method or attribute (Jinja's `getitem`).
    static func item(_ object: Value, _ key: Value) throws -> Value {
        try object.failIfUndefined()
        switch (object, key) {
        case (.dict(let dict), .string(let k)):
            if let value = dict[k] { return value }
        case (.array(let items), _):
            if case .int(let i)? = key.number, let index = pythonIndex(i, count: items.count) { return items[index] }
        case (.string(let s), _):
            if case .int(let i)? = key.number {
                let scalars = Array(s.unicodeScalars)
                if let index = pythonIndex(i, count: scalars.count) { return .string(String(scalars[index])) }
            }
        default: break
        }
        if case .string(let name) = key { return try attribute(object, name) }
        return .undefined("\(object.objectDescription) has no element \(key.pythonRepr)")
    }

    private static func pythonIndex(_ i: Int, count: Int) -> Int? {
        let index = i < 0 ? i + count : i
        return (0..<count).contains(index) ? index : nil
    }

    /// `obj[start:stop:step]` on a list or string, as Python's slices (which Jinja applies
    /// directly, so a wrong type is an error rather than undefined).
    static func slice(_ object: Value, start: Value, stop: Value, step: Value) throws -> Value {
        try object.failIfUndefined()
        func bound(_ v: Value) throws -> Int? {
            if v.isNone || v.isUndefined { return nil }
            guard case .int(let i)? = v.number else {
                throw Failure("slice indices must be integers or None or have an __index__ method")
            }
            return i
        }
        func indices(_ count: Int) throws -> StrideTo<Int> {
            let by = try bound(step) ?? 1
            guard by != 0 else { throw Failure("slice step cannot be zero") }
            func clamp(_ i: Int?, _ defaultValue: Int) -> Int {
                guard let i else { return defaultValue }
                let j = i < 0 ? i + count : i
                return by > 0 ? min(max(j, 0), count) : min(max(j, -1), count - 1)
            }
            return stride(from: clamp(try bound(start), by > 0 ? 0 : count - 1), to: clamp(try bound(stop), by > 0 ? count : -1), by: by)
        }
        switch object {
        case .array(let items):
            return .array(try indices(items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            return .string(Jinja.string(try indices(scalars.count).map { scalars[$0] }))
        case .dict:
            throw Failure("unhashable type: 'slice'")
        default:
            throw Failure("'\(object.typeName)' object is not subscriptable")
        }
    }
}
