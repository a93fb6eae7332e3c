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
            let result = try value(of: expr, in: scope)
            try Jinja.Limits.check(result)
            switch (expr.kind, result) {
            case (.call, .array(let items)), (.filter, .array(let items)): try step(expr.location, count: items.count)
            default: break
            }
            return result
        } catch let failure as Failure {
            throw failure.located(at: expr.location)
        }
    }

    // `value(of:)` only dispatches: every case lives in a function of its own that is never
    // inlined, so the frame repeated at each level of a nested expression stays small (one
    // big switch took ~1.7 KB of stack per level, too much for a 512 KB thread).
    private func value(of expr: Expr, in scope: Scope) throws -> Value {
        switch expr.kind {
        case .literal(let literal): return Self.value(of: literal)
        case .name(let name): return lookup(name, in: scope)
        case .list(let items), .tuple(let items): return try list(items, in: scope)
        case .dict(let entries): return try dict(entries, in: scope)
        case .attribute(let object, let name): return try attribute(object, name, in: scope)
        case .item(let object, let key): return try item(object, key, in: scope)
        case .slice(let object, let start, let stop, let step): return try slice(object, start, stop, step, in: scope)
        case .call(let callee, let arguments): return try call(callee, arguments, in: scope)
        case .filter(let operand, let name, let arguments): return try filter(operand, name, arguments, in: scope)
        case .test(let operand, let name, let arguments): return try test(operand, name, arguments, in: scope)
        case .not(let operand): return try not(operand, in: scope)
        case .negate(let operand): return try negate(operand, in: scope)
        case .plus(let operand): return try plus(operand, in: scope)
        case .binary(let op, let lhs, let rhs): return try binary(op, lhs, rhs, in: scope)
        case .and(let lhs, let rhs): return try and(lhs, rhs, in: scope)
        case .or(let lhs, let rhs): return try or(lhs, rhs, in: scope)
        case .compare(let first, let operations): return try compare(first, operations, in: scope)
        case .conditional(let then, let test, let otherwise):
            return try conditional(then, test, otherwise, line: expr.location.line, in: scope)
        }
    }

    @inline(never)
    private static func value(of literal: Jinja.Literal) -> Value {
        switch literal {
        case .none: .none
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        }
    }

    /// A variable, then a global function, else undefined.
    @inline(never)
    private func lookup(_ name: String, in scope: Scope) -> Value {
        if let value = scope.lookup(name) { return value }
        if let global = Jinja.globals[name] { return .function(Jinja.Function(name: name, call: global)) }
        return .undefinedName(name)
    }

    @inline(never)
    private func list(_ items: [Expr], in scope: Scope) throws -> Value {
        .array(try items.map { try evaluate($0, in: scope) })
    }

    @inline(never)
    private func dict(_ entries: [(key: Expr, value: Expr)], in scope: Scope) throws -> Value {
        var dict = Jinja.Dict()
        for entry in entries {
            guard case .string(let key) = try evaluate(entry.key, in: scope) else {
                throw Failure("only string keys are supported in dict literals")
            }
            dict[key] = try evaluate(entry.value, in: scope)
        }
        return .dict(dict)
    }

    @inline(never)
    private func attribute(_ object: Expr, _ name: String, in scope: Scope) throws -> Value {
        try Jinja.attribute(try evaluate(object, in: scope), name)
    }

    @inline(never)
    private func item(_ object: Expr, _ key: Expr, in scope: Scope) throws -> Value {
        try Jinja.item(try evaluate(object, in: scope), try evaluate(key, in: scope))
    }

    @inline(never)
    private func slice(_ object: Expr, _ start: Expr?, _ stop: Expr?, _ step: Expr?, in scope: Scope) throws -> Value {
        func bound(_ e: Expr?) throws -> Value { try e.map { try evaluate($0, in: scope) } ?? .none }
        return try Jinja.slice(try evaluate(object, in: scope), start: try bound(start), stop: try bound(stop), step: try bound(step))
    }

    @inline(never)
    private func call(_ callee: Expr, _ arguments: Jinja.Arguments, in scope: Scope) throws -> Value {
        let function = try evaluate(callee, in: scope)
        return try invoke(function, try evaluate(arguments, in: scope))
    }

    @inline(never)
    private func filter(_ operand: Expr, _ name: String, _ arguments: Jinja.Arguments, in scope: Scope) throws -> Value {
        let value = try evaluate(operand, in: scope)
        return try Jinja.applyFilter(name, value, try evaluate(arguments, in: scope))
    }

    @inline(never)
    private func test(_ operand: Expr, _ name: String, _ arguments: Jinja.Arguments, in scope: Scope) throws -> Value {
        let value = try evaluate(operand, in: scope)
        return .bool(try Jinja.applyTest(name, value, try evaluate(arguments, in: scope)))
    }

    @inline(never)
    private func not(_ operand: Expr, in scope: Scope) throws -> Value {
        .bool(!(try evaluate(operand, in: scope).isTruthy))
    }

    @inline(never)
    private func negate(_ operand: Expr, in scope: Scope) throws -> Value {
        switch try number(for: "-", try evaluate(operand, in: scope)) {
        case .int(let i):
            guard i != .min else { throw Failure("integer overflow in unary -") }
            return .int(-i)
        case .double(let d):
            return .double(-d)
        }
    }

    @inline(never)
    private func plus(_ operand: Expr, in scope: Scope) throws -> Value {
        try number(for: "+", try evaluate(operand, in: scope)).value
    }

    @inline(never)
    private func binary(_ op: Jinja.BinaryOperator, _ lhs: Expr, _ rhs: Expr, in scope: Scope) throws -> Value {
        try Jinja.binary(op, try evaluate(lhs, in: scope), try evaluate(rhs, in: scope))
    }

    /// Python's `and`/`or` give an operand, not a bool.
    @inline(never)
    private func and(_ lhs: Expr, _ rhs: Expr, in scope: Scope) throws -> Value {
        let left = try evaluate(lhs, in: scope)
        return left.isTruthy ? try evaluate(rhs, in: scope) : left
    }

    @inline(never)
    private func or(_ lhs: Expr, _ rhs: Expr, in scope: Scope) throws -> Value {
        let left = try evaluate(lhs, in: scope)
        return left.isTruthy ? left : try evaluate(rhs, in: scope)
    }

    @inline(never)
    private func compare(_ first: Expr, _ operations: [(op: Jinja.CompareOperator, rhs: Expr)], in scope: Scope) throws -> Value {
        var left = try evaluate(first, in: scope)
        for (op, rhs) in operations {
            let right = try evaluate(rhs, in: scope)
            guard try Jinja.compare(op, left, right) else { return .bool(false) }
            left = right
        }
        return .bool(true)
    }

    @inline(never)
    private func conditional(_ then: Expr, _ test: Expr, _ otherwise: Expr?, line: Int, in scope: Scope) throws -> Value {
        if try evaluate(test, in: scope).isTruthy { return try evaluate(then, in: scope) }
        return try otherwise.map { try evaluate($0, in: scope) }
            ?? .undefined("the inline if-expression on line \(line) evaluated to false and no else section was defined.")
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
