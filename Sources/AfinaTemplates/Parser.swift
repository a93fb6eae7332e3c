// Recursive-descent parser from tokens to the AST, following jinja2/parser.py: statements
// here, expressions in Parser+Expressions.swift (same precedence and quirks as Jinja, e.g.
// `**` associates to the left and a filter binds tighter than any operator).

extension Jinja {
    struct Parser {
        private let tokens: [Token]
        private var index = 0
        /// Blocks being parsed, innermost last, for "never closed" messages.
        private var openBlocks: [(tag: String, endTags: [String], location: Location)] = []
        private var loopDepth = 0
        /// Height of the tree being built; bounded so that parsing and rendering a hostile
        /// template cannot overflow the stack. Each parsing function restores it on return.
        var nesting = 0
        private static let maxNesting = 150

        /// The template as its root frame, analyzed (Analysis.swift) and ready to run.
        static func parse(_ source: String) throws -> Frame {
            var parser = Parser(tokens: try Lexer.tokenize(source))
            return try Analysis.run(Frame(nodes: try parser.subparse(until: [])))
        }

        private init(tokens: [Token]) { self.tokens = tokens }

        // MARK: Token stream

        var current: Token { tokens[index] }

        func peek(_ offset: Int = 1) -> Token { tokens[min(index + offset, tokens.count - 1)] }

        @discardableResult
        mutating func advance() -> Token {
            let token = tokens[index]
            if index < tokens.count - 1 { index += 1 }
            return token
        }

        func isOperator(_ op: String) -> Bool { current.kind == .op(op) }

        func isName(_ name: String) -> Bool { current.kind == .name(name) }

        mutating func skip(operator op: String) -> Bool {
            guard isOperator(op) else { return false }
            advance()
            return true
        }

        mutating func skip(name: String) -> Bool {
            guard isName(name) else { return false }
            advance()
            return true
        }

        mutating func expect(operator op: String) throws {
            guard skip(operator: op) else { throw unexpected(expecting: "'\(op)'") }
        }

        mutating func expectName() throws -> String {
            guard case .name(let name) = current.kind else { throw unexpected(expecting: "a name") }
            advance()
            return name
        }

        mutating func expectBlockEnd() throws {
            guard current.kind == .blockEnd else { throw unexpected(expecting: "end of statement '%}'") }
            advance()
        }

        func unexpected(expecting: String? = nil) -> ChatTemplateError {
            let what: String = switch current.kind {
            case .text: "text"
            case .blockBegin: "'{%'"
            case .blockEnd: "end of statement '%}'"
            case .variableBegin: "'{{'"
            case .variableEnd: "end of print statement '}}'"
            case .name(let n): "'\(n)'"
            case .string(let s): "string '\(s)'"
            case .integer(let i): "integer \(i)"
            case .float(let d): "number \(d)"
            case .op(let o): "'\(o)'"
            case .end: "end of template"
            }
            return syntaxError(expecting.map { "expected \($0), got \(what)" } ?? "unexpected \(what)", at: current.location)
        }

        /// One more level of nesting (an operand in a chain, a bracket, a block).
        mutating func deepen() throws {
            nesting += 1
            if nesting > Parser.maxNesting {
                throw syntaxError("template nests too deeply (more than \(Parser.maxNesting) levels)", at: current.location)
            }
        }

        // MARK: Statements

        /// Nodes up to a `{%` whose statement name is in `endTags`; returns with that name as
        /// the current token. With no end tags, parses to the end of the template.
        mutating func subparse(until endTags: [String]) throws -> [Node] {
            var nodes: [Node] = []
            while true {
                switch current.kind {
                case .text(let text):
                    nodes.append(Node(kind: .text(text), location: advance().location))
                case .variableBegin:
                    let begin = advance()
                    let expr = try parseTuple()
                    guard current.kind == .variableEnd else { throw unexpected(expecting: "end of print statement '}}'") }
                    advance()
                    nodes.append(Node(kind: .output(expr), location: begin.location))
                case .blockBegin:
                    let begin = advance()
                    guard case .name(let tag) = current.kind else { throw unexpected(expecting: "a statement name") }
                    if endTags.contains(tag) { return nodes }
                    nodes += try parseStatement(tag, at: begin.location)
                case .end:
                    if let open = openBlocks.last {
                        throw syntaxError("unexpected end of template: the '\(open.tag)' block opened at line \(open.location.line) "
                            + "is never closed (expected \(Parser.list(open.endTags)))", at: current.location)
                    }
                    return nodes
                default:
                    throw unexpected()
                }
            }
        }

        /// The body of a block statement, from the `%}` that ends its opening tag (after an
        /// optional `:`, which Jinja accepts for Python's sake) up to one of `endTags`, which
        /// is left as the current token.
        private mutating func block(_ tag: String, at location: Location, until endTags: [String]) throws -> [Node] {
            _ = skip(operator: ":")
            try expectBlockEnd()
            let saved = nesting
            defer { nesting = saved }
            try deepen()
            openBlocks.append((tag, endTags, location))
            defer { openBlocks.removeLast() }
            return try subparse(until: endTags)
        }

        private static func list(_ tags: [String]) -> String {
            let quoted = tags.map { "'\($0)'" }
            return quoted.count <= 1 ? quoted.joined() : quoted.dropLast().joined(separator: ", ") + " or " + quoted.last!
        }

        private mutating func parseStatement(_ tag: String, at location: Location) throws -> [Node] {
            advance()  // the statement name
            func node(_ kind: Node.Kind) -> [Node] { [Node(kind: kind, location: location)] }
            switch tag {
            case "if": return node(try parseIf(at: location))
            case "for": return node(try parseFor(at: location))
            case "set": return node(try parseSet(at: location))
            case "macro": return node(try parseMacro(at: location))
            case "call": return node(try parseCallBlock(at: location))
            case "filter":
                let filters = try parseFilterCalls(leadingPipe: false)
                let body = try block(tag, at: location, until: ["endfilter"])
                try closeBlock()
                return node(.filterBlock(filters: filters, body: Frame(nodes: body)))
            case "with": return node(try parseWith(at: location))
            case "print":
                let expr = try parseTuple()
                try expectBlockEnd()
                return node(.output(expr))
            case "break", "continue":
                guard loopDepth > 0 else { throw syntaxError("'\(tag)' outside of a loop", at: location) }
                try expectBlockEnd()
                return node(tag == "break" ? .breakLoop : .continueLoop)
            case "generation":
                // transformers' assistant-mask extension: renders its body unchanged.
                let body = try block(tag, at: location, until: ["endgeneration"])
                try closeBlock()
                return body
            case "include", "import", "from", "extends", "block", "autoescape", "do":
                throw syntaxError("the '\(tag)' statement is not supported in chat templates", at: location)
            default:
                if let open = openBlocks.last {
                    throw syntaxError("unexpected '\(tag)': the innermost open block is '\(open.tag)' from line "
                        + "\(open.location.line), which expects \(Parser.list(open.endTags))", at: location)
                }
                throw syntaxError("unknown statement '\(tag)'", at: location)
            }
        }

        /// Consumes the end tag name that `subparse` stopped at, and its `%}`.
        private mutating func closeBlock() throws {
            advance()
            try expectBlockEnd()
        }

        private mutating func parseIf(at location: Location) throws -> Node.Kind {
            var branches: [(test: Expr, body: [Node])] = []
            var test = try parseTuple(withCondExpr: false)
            while true {
                let body = try block("if", at: location, until: ["elif", "else", "endif"])
                branches.append((test, body))
                let tag = try expectName()
                if tag == "elif" {
                    test = try parseTuple(withCondExpr: false)
                    continue
                }
                var otherwise: [Node] = []
                if tag == "else" {
                    otherwise = try block("if", at: location, until: ["endif"])
                    advance()
                }
                try expectBlockEnd()
                return .ifChain(branches: branches, otherwise: otherwise)
            }
        }

        private mutating func parseFor(at location: Location) throws -> Node.Kind {
            let target = try parseAssignTarget(withNamespace: false)
            guard skip(name: "in") else { throw unexpected(expecting: "'in'") }
            let iterable = try parseTuple(withCondExpr: false, extraEnd: ["recursive"])
            let filter = skip(name: "if") ? try parseExpression() : nil
            if isName("recursive") { throw syntaxError("recursive loops are not supported", at: current.location) }
            loopDepth += 1
            let body = try block("for", at: location, until: ["endfor", "else"])
            loopDepth -= 1
            var otherwise = Frame(nodes: [])
            if try expectName() == "else" {
                otherwise.nodes = try block("for", at: location, until: ["endfor"])
                advance()
            }
            try expectBlockEnd()
            return .forLoop(ForLoop(target: target, iterable: iterable, filter: filter, body: Frame(nodes: body), otherwise: otherwise))
        }

        private mutating func parseSet(at location: Location) throws -> Node.Kind {
            let target = try parseAssignTarget(withNamespace: true)
            if skip(operator: "=") {
                let value = try parseTuple()
                try expectBlockEnd()
                return .set(target, value)
            }
            let filters = isOperator("|") ? try parseFilterCalls(leadingPipe: true) : []
            let body = try block("set", at: location, until: ["endset"])
            try closeBlock()
            return .setBlock(target, body: Frame(nodes: body), filters: filters)
        }

        /// `name`, `a, b` or `(a, b)`, or `ns.attr` where allowed.
        private mutating func parseAssignTarget(withNamespace: Bool) throws -> Target {
            if withNamespace, case .name(let name) = current.kind, peek().kind == .op(".") {
                advance()
                advance()
                return .namespaceAttribute(name, try expectName())
            }
            let parenthesized = skip(operator: "(")
            var names = [try expectName()]
            while skip(operator: ",") {
                guard case .name = current.kind else { break }
                names.append(try expectName())
            }
            if parenthesized { try expect(operator: ")") }
            return names.count == 1 && !parenthesized ? .name(names[0]) : .tuple(names)
        }

        private mutating func parseMacro(at location: Location) throws -> Node.Kind {
            let name = try expectName()
            let parameters = try parseSignature()
            let savedDepth = loopDepth
            loopDepth = 0
            let body = try block("macro", at: location, until: ["endmacro"])
            loopDepth = savedDepth
            try closeBlock()
            return .macro(Macro(name: name, parameters: parameters, body: Frame(nodes: body)))
        }

        /// `(a, b=default, ...)` after a macro name or `call`.
        private mutating func parseSignature() throws -> [Parameter] {
            try expect(operator: "(")
            var parameters: [Parameter] = []
            while !isOperator(")") {
                if !parameters.isEmpty { try expect(operator: ",") }
                let name = try expectName()
                let defaultValue = skip(operator: "=") ? try parseExpression() : nil
                parameters.append(Parameter(name: name, defaultValue: defaultValue))
            }
            advance()
            return parameters
        }

        private mutating func parseCallBlock(at location: Location) throws -> Node.Kind {
            let parameters = isOperator("(") ? try parseSignature() : []
            let call = try parseExpression()
            guard case .call = call.kind else { throw syntaxError("'call' expects a macro call", at: call.location) }
            let savedDepth = loopDepth
            loopDepth = 0
            let body = try block("call", at: location, until: ["endcall"])
            loopDepth = savedDepth
            try closeBlock()
            return .callBlock(call: call, callerParameters: parameters, body: Frame(nodes: body))
        }

        private mutating func parseWith(at location: Location) throws -> Node.Kind {
            var assignments: [(Target, Expr)] = []
            while current.kind != .blockEnd {
                if !assignments.isEmpty { try expect(operator: ",") }
                let target = try parseAssignTarget(withNamespace: false)
                try expect(operator: "=")
                assignments.append((target, try parseExpression()))
            }
            let body = try block("with", at: location, until: ["endwith"])
            try closeBlock()
            return .with(assignments: assignments, body: Frame(nodes: body))
        }
    }
}
