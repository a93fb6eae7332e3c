// Expression grammar of jinja2/parser.py, lowest precedence first: conditional, or, and,
// not, comparisons (`in`, `not in`), + -, ~, * / // %, **, unary - +, then primaries with
// their postfixes (`.x`, `[i]`, `[a:b]`, calls), filters (`|f`) and tests (`is t`).

extension Jinja.Parser {
    typealias Expr = Jinja.Expr

    /// Expressions separated by commas: one expression, or a tuple when a comma appears.
    mutating func parseTuple(withCondExpr: Bool = true, extraEnd: [String] = [], explicitParentheses: Bool = false) throws -> Expr {
        let location = current.location
        var items: [Expr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expect(operator: ",") }
            if isTupleEnd(extraEnd) { break }
            items.append(try parseExpression(withCondExpr: withCondExpr))
            if isOperator(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let only = items.first { return only }
            if !explicitParentheses { throw unexpected(expecting: "an expression") }
        }
        return Expr(kind: .tuple(items), location: location)
    }

    private func isTupleEnd(_ extraEnd: [String]) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .end, .op(")"): true
        case .name(let name): extraEnd.contains(name)
        default: false
        }
    }

    mutating func parseExpression(withCondExpr: Bool = true) throws -> Expr {
        let saved = nesting
        defer { nesting = saved }
        try deepen()
        return withCondExpr ? try parseConditional() : try parseOr()
    }

    private mutating func parseConditional() throws -> Expr {
        var expr = try parseOr()
        let saved = nesting
        defer { nesting = saved }
        while isName("if") {
            try deepen()
            let location = advance().location
            let test = try parseOr()
            let otherwise = skip(name: "else") ? try parseConditional() : nil
            expr = Expr(kind: .conditional(then: expr, test: test, otherwise: otherwise), location: location)
        }
        return expr
    }

    private mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        let saved = nesting
        defer { nesting = saved }
        while isName("or") {
            try deepen()
            let location = advance().location
            left = Expr(kind: .or(left, try parseAnd()), location: location)
        }
        return left
    }

    private mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        let saved = nesting
        defer { nesting = saved }
        while isName("and") {
            try deepen()
            let location = advance().location
            left = Expr(kind: .and(left, try parseNot()), location: location)
        }
        return left
    }

    private mutating func parseNot() throws -> Expr {
        if isName("not") {
            let saved = nesting
            defer { nesting = saved }
            try deepen()
            let location = advance().location
            return Expr(kind: .not(try parseNot()), location: location)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> Expr {
        let left = try parseMath1()
        var operations: [(op: Jinja.CompareOperator, rhs: Expr)] = []
        let saved = nesting
        defer { nesting = saved }
        while true {
            if case .op(let symbol) = current.kind, let op = Jinja.CompareOperator(rawValue: symbol) {
                advance()
                try deepen()
                operations.append((op, try parseMath1()))
            } else if skip(name: "in") {
                try deepen()
                operations.append((.in, try parseMath1()))
            } else if isName("not") && peek().kind == .name("in") {
                advance()
                advance()
                try deepen()
                operations.append((.notIn, try parseMath1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? left : Expr(kind: .compare(left, operations), location: left.location)
    }

    /// Left-associative binary levels.
    private mutating func parseBinary(_ ops: [Jinja.BinaryOperator], next: (inout Self) throws -> Expr) throws -> Expr {
        var left = try next(&self)
        let saved = nesting
        defer { nesting = saved }
        while case .op(let symbol) = current.kind, let op = Jinja.BinaryOperator(rawValue: symbol), ops.contains(op) {
            try deepen()
            let location = advance().location
            left = Expr(kind: .binary(op, left, try next(&self)), location: location)
        }
        return left
    }

    private mutating func parseMath1() throws -> Expr {
        try parseBinary([.add, .subtract]) { try $0.parseConcat() }
    }

    private mutating func parseConcat() throws -> Expr {
        try parseBinary([.concat]) { try $0.parseMath2() }
    }

    private mutating func parseMath2() throws -> Expr {
        try parseBinary([.multiply, .divide, .floorDivide, .modulo]) { try $0.parsePow() }
    }

    private mutating func parsePow() throws -> Expr {
        try parseBinary([.power]) { try $0.parseUnary() }
    }

    private mutating func parseUnary(withFilter: Bool = true) throws -> Expr {
        var expr: Expr
        let location = current.location
        let saved = nesting
        defer { nesting = saved }
        try deepen()
        if skip(operator: "-") {
            expr = Expr(kind: .negate(try parseUnary(withFilter: false)), location: location)
        } else if skip(operator: "+") {
            expr = Expr(kind: .plus(try parseUnary(withFilter: false)), location: location)
        } else {
            expr = try parsePrimary()
        }
        expr = try parsePostfix(expr)
        return withFilter ? try parseFilterExpr(expr) : expr
    }

    private mutating func parsePrimary() throws -> Expr {
        let token = current
        func literal(_ value: Jinja.Literal) -> Expr { Expr(kind: .literal(value), location: token.location) }
        switch token.kind {
        case .name(let name):
            advance()
            switch name {
            case "true", "True": return literal(.bool(true))
            case "false", "False": return literal(.bool(false))
            case "none", "None": return literal(.none)
            default: return Expr(kind: .name(name), location: token.location)
            }
        case .string(var text):
            advance()
            // Adjacent string literals concatenate, as in Python.
            while case .string(let more) = current.kind {
                text += more
                advance()
            }
            return literal(.string(text))
        case .integer(let value):
            advance()
            return literal(.int(value))
        case .float(let value):
            advance()
            return literal(.double(value))
        case .op("("):
            advance()
            let expr = try parseTuple(explicitParentheses: true)
            try expect(operator: ")")
            return expr
        case .op("["):
            advance()
            var items: [Expr] = []
            while !isOperator("]") {
                if !items.isEmpty { try expect(operator: ",") }
                if isOperator("]") { break }
                items.append(try parseExpression())
            }
            advance()
            return Expr(kind: .list(items), location: token.location)
        case .op("{"):
            advance()
            var entries: [(key: Expr, value: Expr)] = []
            while !isOperator("}") {
                if !entries.isEmpty { try expect(operator: ",") }
                if isOperator("}") { break }
                let key = try parseExpression()
                try expect(operator: ":")
                entries.append((key, try parseExpression()))
            }
            advance()
            return Expr(kind: .dict(entries), location: token.location)
        default:
            throw unexpected(expecting: "an expression")
        }
    }

    private mutating func parsePostfix(_ base: Expr) throws -> Expr {
        var expr = base
        let saved = nesting
        defer { nesting = saved }
        while isOperator(".") || isOperator("[") || isOperator("(") {
            try deepen()
            if isOperator("(") {
                expr = Expr(kind: .call(expr, try parseCallArguments()), location: expr.location)
            } else {
                expr = try parseSubscript(expr)
            }
        }
        return expr
    }

    private mutating func parseFilterExpr(_ base: Expr) throws -> Expr {
        var expr = base
        let saved = nesting
        defer { nesting = saved }
        while isOperator("|") || isName("is") || isOperator("(") {
            try deepen()
            if isOperator("|") {
                for filter in try parseFilterCalls(leadingPipe: true) {
                    expr = Expr(kind: .filter(expr, name: filter.name, filter.arguments), location: filter.location)
                }
            } else if isName("is") {
                expr = try parseTest(expr)
            } else {
                expr = Expr(kind: .call(expr, try parseCallArguments()), location: expr.location)
            }
        }
        return expr
    }

    private mutating func parseSubscript(_ base: Expr) throws -> Expr {
        let token = advance()
        if token.kind == .op(".") {
            switch current.kind {
            case .name(let name):
                advance()
                return Expr(kind: .attribute(base, name), location: token.location)
            case .integer(let i):
                advance()
                return Expr(kind: .item(base, Expr(kind: .literal(.int(i)), location: token.location)), location: token.location)
            default:
                throw unexpected(expecting: "an attribute name")
            }
        }
        // `[` ... `]`: an index or a slice `start:stop:step`, each part optional.
        var parts: [Expr?] = []
        var isSlice = false
        func partEnds(_ parser: Self) -> Bool { parser.isOperator(":") || parser.isOperator("]") }
        parts.append(partEnds(self) ? nil : try parseExpression())
        while skip(operator: ":") {
            isSlice = true
            guard parts.count < 3 else { throw unexpected(expecting: "']'") }
            parts.append(partEnds(self) ? nil : try parseExpression())
        }
        if isOperator(",") { throw Jinja.syntaxError("tuple subscripts are not supported", at: current.location) }
        try expect(operator: "]")
        guard isSlice else {
            guard let index = parts[0] else { throw Jinja.syntaxError("empty subscript", at: token.location) }
            return Expr(kind: .item(base, index), location: token.location)
        }
        while parts.count < 3 { parts.append(nil) }
        return Expr(kind: .slice(base, start: parts[0], stop: parts[1], step: parts[2]), location: token.location)
    }

    /// `(a, b, name=c)`; a trailing comma is allowed.
    mutating func parseCallArguments() throws -> Jinja.Arguments {
        try expect(operator: "(")
        var arguments = Jinja.Arguments()
        var first = true
        while !isOperator(")") {
            if !first {
                try expect(operator: ",")
                if isOperator(")") { break }
            }
            first = false
            if isOperator("*") || isOperator("**") {
                throw Jinja.syntaxError("'*args' and '**kwargs' in calls are not supported", at: current.location)
            }
            if case .name(let name) = current.kind, peek().kind == .op("=") {
                advance()
                advance()
                arguments.keyword.append((name, try parseExpression()))
            } else {
                if !arguments.keyword.isEmpty {
                    throw Jinja.syntaxError("positional argument after a keyword argument", at: current.location)
                }
                arguments.positional.append(try parseExpression())
            }
        }
        advance()
        return arguments
    }

    /// `name(args)|name2...`, after a `|` when `leadingPipe` (`{% filter upper %}` has none).
    mutating func parseFilterCalls(leadingPipe: Bool) throws -> [Jinja.FilterCall] {
        if leadingPipe { try expect(operator: "|") }
        var filters: [Jinja.FilterCall] = []
        let saved = nesting
        defer { nesting = saved }
        repeat {
            try deepen()
            let location = current.location
            var name = try expectName()
            while skip(operator: ".") { name += "." + (try expectName()) }
            let arguments = isOperator("(") ? try parseCallArguments() : Jinja.Arguments()
            filters.append(Jinja.FilterCall(name: name, arguments: arguments, location: location))
        } while skip(operator: "|")
        return filters
    }

    /// `is [not] name`, with arguments in parentheses or a single bare argument
    /// (`x is divisibleby 3`, `x is sameas none`).
    private mutating func parseTest(_ base: Expr) throws -> Expr {
        let location = advance().location
        let negated = skip(name: "not")
        var name = try expectName()
        while skip(operator: ".") { name += "." + (try expectName()) }
        var arguments = Jinja.Arguments()
        switch current.kind {
        case .op("("):
            arguments = try parseCallArguments()
        case .name("else"), .name("or"), .name("and"):
            break
        case .name("is"):
            throw Jinja.syntaxError("tests cannot be chained with 'is'", at: current.location)
        case .name, .string, .integer, .float, .op("["), .op("{"):
            arguments.positional = [try parsePostfix(try parsePrimary())]
        default:
            break
        }
        let test = Expr(kind: .test(base, name: name, arguments), location: location)
        return negated ? Expr(kind: .not(test), location: location) : test
    }
}
