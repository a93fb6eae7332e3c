// Runs the AST over a context of variables, with Jinja's scoping: `if` shares its scope, each
// `for` iteration and each macro call gets a fresh child scope (so `set` inside a loop does
// not leak out, which is why templates use `namespace`), macros see their defining scope.

extension Jinja {
    /// Variables visible at one point; lookups fall back to the parent.
    final class Scope {
        private var variables: [String: Value] = [:]
        let parent: Scope?

        init(parent: Scope?) { self.parent = parent }

        func lookup(_ name: String) -> Value? {
            var scope: Scope? = self
            while let current = scope {
                if let value = current.variables[name] { return value }
                scope = current.parent
            }
            return nil
        }

        subscript(name: String) -> Value? {
            get { variables[name] }
            set { variables[name] = newValue }
        }
    }

    /// How a statement list ended: normally, or at `{% break %}` / `{% continue %}`.
    enum Flow { case normal, breakLoop, continueLoop }

    final class Interpreter {
        /// Nesting of evaluations and statements; bounds recursion (a macro calling itself)
        /// so a bad template fails with an error instead of overflowing the stack.
        private var depth = 0
        private static let maxDepth = 400
        /// Scopes that defined a macro. Macros hold their scope weakly (no reference cycle);
        /// this keeps those scopes alive until the render ends.
        private var macroScopes: [Scope] = []

        func render(_ template: Frame, context: [String: Value]) throws -> String {
            let globals = Scope(parent: nil)
            for (name, value) in context { globals[name] = value }
            var out = ""
            _ = try execute(template.nodes, in: scope(for: template, in: globals), into: &out)
            return out
        }

        /// A fresh scope for one run of `frame`, with the names the frame owns undefined.
        private func scope(for frame: Frame, in parent: Scope) -> Scope {
            let scope = Scope(parent: parent)
            for name in frame.undefinedOnEntry { scope[name] = .undefinedName(name) }
            return scope
        }

        private func enter(_ location: Location) throws {
            depth += 1
            if depth > Interpreter.maxDepth {
                throw runtimeError("template recursion too deep (more than \(Interpreter.maxDepth) nested calls or expressions)", at: location)
            }
        }

        // MARK: Statements

        func execute(_ nodes: [Node], in scope: Scope, into out: inout String) throws -> Flow {
            for node in nodes {
                let flow = try execute(node, in: scope, into: &out)
                if flow != .normal { return flow }
            }
            return .normal
        }

        private func execute(_ node: Node, in scope: Scope, into out: inout String) throws -> Flow {
            try enter(node.location)
            defer { depth -= 1 }
            do {
                return try run(node, in: scope, into: &out)
            } catch let failure as Failure {
                throw ChatTemplateError(failure.kind, failure.message, line: node.location.line, column: node.location.column)
            }
        }

        private func run(_ node: Node, in scope: Scope, into out: inout String) throws -> Flow {
            switch node.kind {
            case .text(let text):
                out += text
            case .output(let expr):
                out += try evaluate(expr, in: scope).pythonString
            case .ifChain(let branches, let otherwise):
                for branch in branches where try evaluate(branch.test, in: scope).isTruthy {
                    return try execute(branch.body, in: scope, into: &out)
                }
                return try execute(otherwise, in: scope, into: &out)
            case .forLoop(let loop):
                return try runFor(loop, in: scope, into: &out)
            case .set(let target, let expr):
                try assign(target, try evaluate(expr, in: scope), in: scope)
            case .setBlock(let target, let body, let filters):
                var captured = ""
                let flow = try execute(body.nodes, in: self.scope(for: body, in: scope), into: &captured)
                try assign(target, try applyFilters(filters, to: .string(captured), in: scope), in: scope)
                return flow
            case .macro(let macro):
                scope[macro.name] = .function(makeMacro(macro, in: scope))
            case .callBlock(let call, let parameters, let body):
                guard case .call(let callee, let arguments) = call.kind else { throw Failure("'call' expects a macro call") }
                let caller = makeMacro(Macro(name: "caller", parameters: parameters, body: body), in: scope)
                var args = try evaluate(arguments, in: scope)
                args.keyword.append(("caller", .function(caller)))
                out += try invoke(try evaluate(callee, in: scope), args).pythonString
            case .filterBlock(let filters, let body):
                var captured = ""
                let flow = try execute(body.nodes, in: self.scope(for: body, in: scope), into: &captured)
                out += try applyFilters(filters, to: .string(captured), in: scope).pythonString
                return flow
            case .with(let assignments, let body):
                let inner = self.scope(for: body, in: scope)
                for (target, expr) in assignments { try assign(target, try evaluate(expr, in: scope), in: inner) }
                return try execute(body.nodes, in: inner, into: &out)
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
            return .normal
        }

        private func runFor(_ loop: ForLoop, in scope: Scope, into out: inout String) throws -> Flow {
            var items = try iterate(try evaluate(loop.iterable, in: scope))
            if let filter = loop.filter {
                items = try items.filter { item in
                    let inner = Scope(parent: scope)
                    try assign(loop.target, item, in: inner)
                    return try evaluate(filter, in: inner).isTruthy
                }
            }
            // `else` runs when nothing was iterated; a break in it belongs to an outer loop.
            if items.isEmpty {
                return try execute(loop.otherwise.nodes, in: self.scope(for: loop.otherwise, in: scope), into: &out)
            }
            for (index, item) in items.enumerated() {
                let inner = self.scope(for: loop.body, in: scope)
                try assign(loop.target, item, in: inner)
                inner["loop"] = loopVariable(index, items)
                if try execute(loop.body.nodes, in: inner, into: &out) == .breakLoop { break }
            }
            return .normal
        }

        /// Jinja's `loop` object for iteration `index` over `items`.
        private func loopVariable(_ index: Int, _ items: [Value]) -> Value {
            let count = items.count
            var loop = Dict()
            loop["index"] = .int(index + 1)
            loop["index0"] = .int(index)
            loop["revindex"] = .int(count - index)
            loop["revindex0"] = .int(count - index - 1)
            loop["first"] = .bool(index == 0)
            loop["last"] = .bool(index == count - 1)
            loop["length"] = .int(count)
            loop["depth"] = .int(1)
            loop["depth0"] = .int(0)
            loop["previtem"] = index > 0 ? items[index - 1] : .undefined("there is no previous item")
            loop["nextitem"] = index + 1 < count ? items[index + 1] : .undefined("there is no next item")
            loop["cycle"] = .function(Function(name: "loop.cycle") { args in
                guard !args.positional.isEmpty else { throw Failure("no items for cycling given") }
                return args.positional[index % args.positional.count]
            })
            return .dict(loop)
        }

        private func assign(_ target: Target, _ value: Value, in scope: Scope) throws {
            switch target {
            case .name(let name):
                scope[name] = value
            case .tuple(let names):
                let items = try iterate(value)
                guard items.count == names.count else {
                    throw Failure(items.count < names.count
                        ? "not enough values to unpack (expected \(names.count), got \(items.count))"
                        : "too many values to unpack (expected \(names.count))")
                }
                for (name, item) in zip(names, items) { scope[name] = item }
            case .namespaceAttribute(let name, let attribute):
                guard case .namespace(let namespace)? = scope.lookup(name) else {
                    throw Failure("cannot assign attribute on non-namespace object '\(name)'")
                }
                // transformers' TemplateNamespace refuses private-looking names.
                guard !attribute.hasPrefix("_") else {
                    throw Failure("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(attribute)'.")
                }
                namespace.attributes[attribute] = value
            }
        }

        private func applyFilters(_ filters: [FilterCall], to value: Value, in scope: Scope) throws -> Value {
            var result = value
            for filter in filters {
                let args = try evaluate(filter.arguments, in: scope)
                do {
                    result = try applyFilter(filter.name, result, args)
                } catch let failure as Failure {
                    throw ChatTemplateError(failure.kind, failure.message, line: filter.location.line, column: filter.location.column)
                }
            }
            return result
        }

        // MARK: Macros and calls

        private func makeMacro(_ macro: Macro, in scope: Scope) -> Function {
            macroScopes.append(scope)
            return Function(name: macro.name) { [unowned self, weak scope] args in
                guard let scope else { throw Failure("macro '\(macro.name)' outlived its template") }
                return try self.call(macro, definedIn: scope, args)
            }
        }

        /// Binds arguments as Jinja does: positionally, then by name, then defaults (which may
        /// use earlier parameters); extras go to `varargs` and `kwargs`.
        private func call(_ macro: Macro, definedIn scope: Scope, _ args: CallArguments) throws -> Value {
            let local = self.scope(for: macro.body, in: scope)
            var keyword = args.keyword
            for (i, parameter) in macro.parameters.enumerated() {
                let positional = i < args.positional.count ? args.positional[i] : nil
                let named = keyword.firstIndex { $0.name == parameter.name }.map { keyword.remove(at: $0).value }
                if positional != nil && named != nil {
                    throw Failure("macro '\(macro.name)' got multiple values for argument '\(parameter.name)'")
                }
                if let value = positional ?? named {
                    local[parameter.name] = value
                } else if let defaultValue = parameter.defaultValue {
                    local[parameter.name] = try evaluate(defaultValue, in: local)
                } else {
                    local[parameter.name] = .undefined("parameter '\(parameter.name)' was not provided")
                }
            }
            if let i = keyword.firstIndex(where: { $0.name == "caller" }) { local["caller"] = keyword.remove(at: i).value }
            local["varargs"] = .array(Array(args.positional.dropFirst(macro.parameters.count)))
            var kwargs = Dict()
            for (name, value) in keyword { kwargs[name] = value }
            local["kwargs"] = .dict(kwargs)
            var out = ""
            _ = try execute(macro.body.nodes, in: local, into: &out)
            return .string(out)
        }

        private func invoke(_ callee: Value, _ args: CallArguments) throws -> Value {
            switch callee {
            case .function(let function): return try function.call(args)
            case .undefined(let message): throw Failure(message)
            default: throw Failure("'\(callee.typeName)' object is not callable")
            }
        }

        // MARK: Expressions

        func evaluate(_ arguments: Arguments, in scope: Scope) throws -> CallArguments {
            CallArguments(positional: try arguments.positional.map { try evaluate($0, in: scope) },
                          keyword: try arguments.keyword.map { ($0.name, try evaluate($0.value, in: scope)) })
        }

        func evaluate(_ expr: Expr, in scope: Scope) throws -> Value {
            try enter(expr.location)
            defer { depth -= 1 }
            do {
                return try value(of: expr, in: scope)
            } catch let failure as Failure {
                throw ChatTemplateError(failure.kind, failure.message, line: expr.location.line, column: expr.location.column)
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
                if let global = globals[name] { return .function(Function(name: name, call: global)) }
                return .undefinedName(name)
            case .list(let items), .tuple(let items):
                return .array(try items.map { try evaluate($0, in: scope) })
            case .dict(let entries):
                var dict = Dict()
                for entry in entries {
                    guard case .string(let key) = try evaluate(entry.key, in: scope) else {
                        throw Failure("only string keys are supported in dict literals")
                    }
                    dict[key] = try evaluate(entry.value, in: scope)
                }
                return .dict(dict)
            case .attribute(let object, let name):
                return try attribute(try evaluate(object, in: scope), name)
            case .item(let object, let key):
                return try item(try evaluate(object, in: scope), try evaluate(key, in: scope))
            case .slice(let object, let start, let stop, let step):
                func bound(_ e: Expr?) throws -> Value { try e.map { try evaluate($0, in: scope) } ?? .none }
                return try slice(try evaluate(object, in: scope), start: try bound(start), stop: try bound(stop), step: try bound(step))
            case .call(let callee, let arguments):
                let function = try evaluate(callee, in: scope)
                return try invoke(function, try evaluate(arguments, in: scope))
            case .filter(let operand, let name, let arguments):
                let value = try evaluate(operand, in: scope)
                return try applyFilter(name, value, try evaluate(arguments, in: scope))
            case .test(let operand, let name, let arguments):
                let value = try evaluate(operand, in: scope)
                return .bool(try applyTest(name, value, try evaluate(arguments, in: scope)))
            case .not(let operand):
                return .bool(!(try evaluate(operand, in: scope).isTruthy))
            case .negate(let operand), .plus(let operand):
                let value = try evaluate(operand, in: scope)
                try value.failIfUndefined()
                guard let number = value.number else {
                    let op = if case .negate = expr.kind { "-" } else { "+" }
                    throw Failure("bad operand type for unary \(op): '\(value.typeName)'")
                }
                if case .plus = expr.kind { return number.value }
                switch number {
                case .int(let i):
                    guard i != .min else { throw Failure("integer overflow in unary -") }
                    return .int(-i)
                case .double(let d):
                    return .double(-d)
                }
            case .binary(let op, let lhs, let rhs):
                return try binary(op, try evaluate(lhs, in: scope), try evaluate(rhs, in: scope))
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
                    guard try compare(op, left, right) else { return .bool(false) }
                    left = right
                }
                return .bool(true)
            case .conditional(let then, let test, let otherwise):
                if try evaluate(test, in: scope).isTruthy { return try evaluate(then, in: scope) }
                return try otherwise.map { try evaluate($0, in: scope) }
                    ?? .undefined("the inline if-expression on line \(expr.location.line) evaluated to false and no else section was defined.")
            }
        }
    }
}

extension Jinja.Number {
    var value: Jinja.Value {
        switch self {
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        }
    }
}
