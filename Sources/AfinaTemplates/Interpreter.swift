// Runs the statements of a parsed template. Scopes follow Jinja's frames: `if` shares its
// scope, each `for` iteration, macro call and `with`/`set`/`filter` block gets a fresh child
// scope (so `set` inside a loop does not leak out, which is why templates use `namespace`),
// starting with the names Analysis.swift found it owns undefined; a macro sees the scope it
// was defined in. Expressions are in Interpreter+Expressions.swift.

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
        private static let maxDepth = 200
        /// Statements and expressions evaluated so far, and how many a render may.
        private var steps = 0
        private let maxSteps: Int

        init(maxSteps: Int) { self.maxSteps = maxSteps }
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

        /// One level deeper into the template, failing beyond `maxDepth`; `leave()` undoes it.
        /// (Not a closure-taking helper: this runs for every expression and statement, and
        /// extra stack frames per level would lower the recursion a thread's stack allows.)
        func enter(_ location: Location) throws {
            guard depth < Interpreter.maxDepth else {
                throw runtimeError("template recursion too deep (more than \(Interpreter.maxDepth) nested calls or expressions)", at: location)
            }
            try step(location)
            depth += 1
        }

        /// Counts `count` steps against `maxSteps`: one for a statement, an expression or a loop
        /// iteration, one per item for a list a call or filter builds (`range`, `map`...).
        func step(_ location: Location, count: Int = 1) throws {
            steps += count
            guard steps <= maxSteps else {
                throw runtimeError("template runs too long (more than \(maxSteps) steps)", at: location)
            }
        }

        func leave() { depth -= 1 }

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
            defer { leave() }
            do {
                let flow = try run(node, in: scope, into: &out)
                try Limits.check(.string(out))
                return flow
            } catch let failure as Failure {
                throw failure.located(at: node.location)
            }
        }

        /// Dispatches to one function per statement, never inlined, to keep the frame that
        /// repeats at each level of nesting small (as `value(of:)` does for expressions).
        private func run(_ node: Node, in scope: Scope, into out: inout String) throws -> Flow {
            switch node.kind {
            case .text(let text): out += text
            case .output(let expr): try output(expr, in: scope, into: &out)
            case .ifChain(let branches, let otherwise): return try runIf(branches, otherwise, in: scope, into: &out)
            case .forLoop(let loop): return try runFor(loop, in: scope, into: &out)
            case .set(let target, let expr): try set(target, expr, in: scope)
            case .setBlock(let target, let body, let filters): return try setBlock(target, body, filters, in: scope)
            case .macro(let macro): scope[macro.name] = .function(makeMacro(macro, in: scope))
            case .callBlock(let call, let parameters, let body):
                try callBlock(call, parameters, body, in: scope, into: &out)
            case .filterBlock(let filters, let body): return try filterBlock(filters, body, in: scope, into: &out)
            case .with(let assignments, let body): return try with(assignments, body, in: scope, into: &out)
            case .breakLoop: return .breakLoop
            case .continueLoop: return .continueLoop
            }
            return .normal
        }

        @inline(never)
        private func output(_ expr: Expr, in scope: Scope, into out: inout String) throws {
            out += try evaluate(expr, in: scope).pythonString
        }

        @inline(never)
        private func runIf(_ branches: [(test: Expr, body: [Node])], _ otherwise: [Node], in scope: Scope,
                           into out: inout String) throws -> Flow {
            for branch in branches where try evaluate(branch.test, in: scope).isTruthy {
                return try execute(branch.body, in: scope, into: &out)
            }
            return try execute(otherwise, in: scope, into: &out)
        }

        @inline(never)
        private func set(_ target: Target, _ expr: Expr, in scope: Scope) throws {
            try assign(target, try evaluate(expr, in: scope), in: scope)
        }

        @inline(never)
        private func setBlock(_ target: Target, _ body: Frame, _ filters: [FilterCall], in scope: Scope) throws -> Flow {
            var captured = ""
            let flow = try execute(body.nodes, in: self.scope(for: body, in: scope), into: &captured)
            try assign(target, try applyFilters(filters, to: .string(captured), in: scope), in: scope)
            return flow
        }

        @inline(never)
        private func callBlock(_ call: Expr, _ parameters: [Parameter], _ body: Frame, in scope: Scope,
                               into out: inout String) throws {
            guard case .call(let callee, let arguments) = call.kind else { throw Failure("'call' expects a macro call") }
            let caller = makeMacro(Macro(name: "caller", parameters: parameters, body: body), in: scope)
            var args = try evaluate(arguments, in: scope)
            args.keyword.append(("caller", .function(caller)))
            out += try invoke(try evaluate(callee, in: scope), args).pythonString
        }

        @inline(never)
        private func filterBlock(_ filters: [FilterCall], _ body: Frame, in scope: Scope, into out: inout String) throws -> Flow {
            var captured = ""
            let flow = try execute(body.nodes, in: self.scope(for: body, in: scope), into: &captured)
            out += try applyFilters(filters, to: .string(captured), in: scope).pythonString
            return flow
        }

        @inline(never)
        private func with(_ assignments: [(Target, Expr)], _ body: Frame, in scope: Scope, into out: inout String) throws -> Flow {
            let inner = self.scope(for: body, in: scope)
            for (target, expr) in assignments { try assign(target, try evaluate(expr, in: scope), in: inner) }
            return try execute(body.nodes, in: inner, into: &out)
        }

        @inline(never)
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
                try step(loop.iterable.location)
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
                    throw failure.located(at: filter.location)
                }
            }
            return result
        }

        // MARK: Macros and calls

        @inline(never)
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
    }
}
