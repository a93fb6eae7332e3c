// Which names start undefined in each frame, decided before rendering as Jinja's compiler
// decides it (jinja2/idtracking.py). Jinja reads a frame's statements in order, without
// looking into nested frames (loop bodies, macros): a name assigned at the frame's top
// level before any read there, and unknown to enclosing frames, becomes a local that
// starts undefined. So in
//     {% for m in messages %}{{ x }}{% endfor %}{% set x = 1 %}
// the loop prints nothing even when `x` is passed in: the template owns `x`. Every other
// name is looked up outward at run time, which is what the rest of Jinja's rules amount to.

extension Jinja {
    enum Scoping {
        static func resolve(_ root: Frame) -> Frame {
            resolve(root, parameters: [], parent: nil)
        }

        /// The names a frame refers to, as Jinja's `Symbols`.
        private final class Symbols {
            let parent: Symbols?
            private var refs: Set<String>
            private(set) var undefinedOnEntry: [String] = []

            init(parent: Symbols?, parameters: [String]) {
                self.parent = parent
                refs = Set(parameters)
            }

            func knows(_ name: String) -> Bool { refs.contains(name) || (parent?.knows(name) ?? false) }

            func load(_ name: String) {
                if !knows(name) { refs.insert(name) }
            }

            /// Jinja resolves a name first assigned inside an `if` branch from outside the frame
            /// (`branch_update`), so only a top-level assignment can make it start undefined.
            func store(_ name: String, inBranch: Bool) {
                guard refs.insert(name).inserted else { return }
                if !inBranch && !(parent?.knows(name) ?? false) { undefinedOnEntry.append(name) }
            }
        }

        /// Analyzes a frame's own statements, then its nested frames (which see this frame's
        /// complete symbols, as in Jinja, where they are compiled after it).
        private static func resolve(_ frame: Frame, parameters: [String], parent: Symbols?, loads: [Expr] = []) -> Frame {
            let symbols = Symbols(parent: parent, parameters: parameters)
            for expr in loads { load(expr, symbols) }
            scan(frame.nodes, symbols, inBranch: false)
            return Frame(nodes: frame.nodes.map { resolveNested($0, symbols) }, undefinedOnEntry: symbols.undefinedOnEntry)
        }

        private static func scan(_ nodes: [Node], _ symbols: Symbols, inBranch: Bool) {
            for node in nodes {
                switch node.kind {
                case .text, .breakLoop, .continueLoop:
                    break
                case .output(let expr):
                    load(expr, symbols)
                case .ifChain(let branches, let otherwise):
                    for branch in branches {
                        load(branch.test, symbols)
                        scan(branch.body, symbols, inBranch: true)
                    }
                    scan(otherwise, symbols, inBranch: true)
                case .forLoop(let loop):
                    load(loop.iterable, symbols)
                case .set(let target, let value):
                    load(value, symbols)
                    store(target, symbols, inBranch: inBranch)
                case .setBlock(let target, _, _):
                    store(target, symbols, inBranch: inBranch)
                case .macro(let macro):
                    symbols.store(macro.name, inBranch: inBranch)
                case .callBlock(let call, _, _):
                    load(call, symbols)
                case .filterBlock(let filters, _):
                    for filter in filters { load(filter.arguments, symbols) }
                case .with(let assignments, _):
                    for (_, value) in assignments { load(value, symbols) }
                }
            }
        }

        private static func resolveNested(_ node: Node, _ symbols: Symbols) -> Node {
            var node = node
            let macroSpecials = ["caller", "varargs", "kwargs"]
            switch node.kind {
            case .ifChain(let branches, let otherwise):
                node.kind = .ifChain(branches: branches.map { ($0.test, $0.body.map { resolveNested($0, symbols) }) },
                                     otherwise: otherwise.map { resolveNested($0, symbols) })
            case .forLoop(var loop):
                loop.body = resolve(loop.body, parameters: names(loop.target) + ["loop"], parent: symbols)
                loop.otherwise = resolve(loop.otherwise, parameters: [], parent: symbols)
                node.kind = .forLoop(loop)
            case .macro(var macro):
                macro.body = resolve(macro.body, parameters: macro.parameters.map(\.name) + macroSpecials, parent: symbols,
                                     loads: macro.parameters.compactMap(\.defaultValue))
                node.kind = .macro(macro)
            case .callBlock(let call, let parameters, let body):
                let resolved = resolve(body, parameters: parameters.map(\.name) + macroSpecials, parent: symbols,
                                       loads: parameters.compactMap(\.defaultValue))
                node.kind = .callBlock(call: call, callerParameters: parameters, body: resolved)
            case .setBlock(let target, let body, let filters):
                node.kind = .setBlock(target, body: resolve(body, parameters: [], parent: symbols), filters: filters)
            case .filterBlock(let filters, let body):
                node.kind = .filterBlock(filters: filters, body: resolve(body, parameters: [], parent: symbols))
            case .with(let assignments, let body):
                let targets = assignments.flatMap { names($0.0) }
                node.kind = .with(assignments: assignments, body: resolve(body, parameters: targets, parent: symbols))
            case .text, .output, .set, .breakLoop, .continueLoop:
                break
            }
            return node
        }

        private static func names(_ target: Target) -> [String] {
            switch target {
            case .name(let name): [name]
            case .tuple(let names): names
            case .namespaceAttribute: []
            }
        }

        private static func store(_ target: Target, _ symbols: Symbols, inBranch: Bool) {
            if case .namespaceAttribute(let namespace, _) = target {
                symbols.load(namespace)
            } else {
                for name in names(target) { symbols.store(name, inBranch: inBranch) }
            }
        }

        private static func load(_ arguments: Arguments, _ symbols: Symbols) {
            for expr in arguments.positional { load(expr, symbols) }
            for (_, expr) in arguments.keyword { load(expr, symbols) }
        }

        /// Every variable an expression reads.
        private static func load(_ expr: Expr, _ symbols: Symbols) {
            switch expr.kind {
            case .literal:
                break
            case .name(let name):
                symbols.load(name)
            case .list(let items), .tuple(let items):
                for item in items { load(item, symbols) }
            case .dict(let entries):
                for entry in entries {
                    load(entry.key, symbols)
                    load(entry.value, symbols)
                }
            case .attribute(let object, _), .not(let object), .negate(let object), .plus(let object):
                load(object, symbols)
            case .item(let object, let key), .binary(_, let object, let key), .and(let object, let key), .or(let object, let key):
                load(object, symbols)
                load(key, symbols)
            case .slice(let object, let start, let stop, let step):
                for part in [object, start, stop, step].compactMap({ $0 }) { load(part, symbols) }
            case .call(let callee, let arguments), .filter(let callee, _, let arguments), .test(let callee, _, let arguments):
                load(callee, symbols)
                load(arguments, symbols)
            case .compare(let first, let operations):
                load(first, symbols)
                for operation in operations { load(operation.rhs, symbols) }
            case .conditional(let then, let test, let otherwise):
                load(test, symbols)
                load(then, symbols)
                if let otherwise { load(otherwise, symbols) }
            }
        }
    }
}
