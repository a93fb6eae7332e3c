// Expression evaluation with Python's semantics (operators in Operators.swift, filters,
// tests and methods in their own files). Every failure is reported at the innermost
// expression that caused it.

extension Jinja.Interpreter {
    typealias Value = Jinja.Value
    typealias Expr = Jinja.Expr
    typealias Scope = Jinja.Scope
    typealias Failure = Jinja.Failure

    func evaluate(_ arguments: Jinja.Arguments, in scope: Scope) throws -> Jinja.CallArguments {
        Jinja.CallArguments(positional: try arguments.positional.map { try evaluate($0, in: scope) },
                            keyword: try arguments.keyword.map { ($0.name, try evaluate($0.value, in: scope)) })
    }

    func evaluate(_ expr: Expr, in scope: Scope) throws -> Value {
        try enter(expr.location)
        defer { leave() }
        do {
            return try value(of: expr, in: scope)
        } catch let failure as Failure {
            throw failure.located(at: expr.location)
        }
    }

    private func value(of expr: Expr, in scope: Scope) throws -> Value {
        switch expr.kind {
        case .literal(let literal):
            switch literal {
            case .none: return .none
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .double(let d): return .double(d)
            case .string(let s): return .string(s)
            }
        case .name(let name):
            if let value = scope.lookup(name) { return value }
            if let global = Jinja.globals[name] { return .function(Jinja.Function(name: name, call: global)) }
            return .undefinedName(name)
        case .list(let items), .tuple(let items):
            return .array(try items.map { try evaluate($0, in: scope) })
        case .dict(let entries):
            var dict = Jinja.Dict()
            for entry in entries {
                guard case .string(let key) = try evaluate(entry.key, in: scope) else {
                    throw Failure("only string keys are supported in dict literals")
                }
                dict[key] = try evaluate(entry.value, in: scope)
            }
            return .dict(dict)
        case .attribute(let object, let name):
            return try Jinja.attribute(try evaluate(object, in: scope), name)
        case .item(let object, let key):
            return try Jinja.item(try evaluate(object, in: scope), try evaluate(key, in: scope))
        case .slice(let object, let start, let stop, let step):
            func bound(_ e: Expr?) throws -> Value { try e.map { try evaluate($0, in: scope) } ?? .none }
            return try Jinja.slice(try evaluate(object, in: scope), start: try bound(start), stop: try bound(stop), step: try bound(step))
        case .call(let callee, let arguments):
            let function = try evaluate(callee, in: scope)
            return try invoke(function, try evaluate(arguments, in: scope))
        case .filter(let operand, let name, let arguments):
            let value = try evaluate(operand, in: scope)
            return try Jinja.applyFilter(name, value, try evaluate(arguments, in: scope))
        case .test(let operand, let name, let arguments):
            let value = try evaluate(operand, in: scope)
            return .bool(try Jinja.applyTest(name, value, try evaluate(arguments, in: scope)))
        case .not(let operand):
            return .bool(!(try evaluate(operand, in: scope).isTruthy))
        case .negate(let operand):
            switch try number(for: "-", try evaluate(operand, in: scope)) {
            case .int(let i):
                guard i != .min else { throw Failure("integer overflow in unary -") }
                return .int(-i)
            case .double(let d):
                return .double(-d)
            }
        case .plus(let operand):
            return try number(for: "+", try evaluate(operand, in: scope)).value
        case .binary(let op, let lhs, let rhs):
            return try Jinja.binary(op, try evaluate(lhs, in: scope), try evaluate(rhs, in: scope))
        case .and(let lhs, let rhs):
            let left = try evaluate(lhs, in: scope)
            return left.isTruthy ? try evaluate(rhs, in: scope) : left
        case .or(let lhs, let rhs):
            let left = try evaluate(lhs, in: scope)
            return left.isTruthy ? left : try evaluate(rhs, in: scope)
        case .compare(let first, let operations):
            var left = try evaluate(first, in: scope)
            for (op, rhs) in operations {
                let right = try evaluate(rhs, in: scope)
                guard try Jinja.compare(op, left, right) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let then, let test, let otherwise):
            if try evaluate(test, in: scope).isTruthy { return try evaluate(then, in: scope) }
            return try otherwise.map { try evaluate($0, in: scope) }
                ?? .undefined("the inline if-expression on line \(expr.location.line) evaluated to false and no else section was defined.")
        }
    }

    /// The operand of unary `-` or `+` (a bool counts as 0 or 1, as in Python).
    private func number(for op: String, _ value: Value) throws -> Jinja.Number {
        try value.failIfUndefined()
        guard let number = value.number else { throw Failure("bad operand type for unary \(op): '\(value.typeName)'") }
        return number
    }

    func invoke(_ callee: Value, _ args: Jinja.CallArguments) throws -> Value {
        switch callee {
        case .function(let function): return try function.call(args)
        case .undefined(let message): throw Failure(message)
        default: throw Failure("'\(callee.typeName)' object is not callable")
        }
    }
}
