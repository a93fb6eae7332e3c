// What Jinja's compiler decides before rendering (jinja2/compiler.py, idtracking.py):
//
// Which names start undefined in each frame. Jinja reads a frame's statements in order,
// without looking into nested frames (loop bodies, macros): a name assigned at the frame's
// top level before any read there, and unknown to enclosing frames, becomes a local that
// starts undefined. So in
//     {% for m in messages %}{{ x }}{% endfor %}{% set x = 1 %}
// the loop prints nothing even when `x` is passed in: the template owns `x`. Every other
// name is looked up outward at run time, which is what the rest of Jinja's rules amount to.
//
// Which unknown filters and tests are errors now. Jinja rejects them when compiling, except
// inside an `if` (its test and branches) or a conditional expression of the same frame,
// where the error waits until the filter runs. Jinja built-ins that this library does not
// implement always wait, so a template that only uses them on paths not taken still works.

extension Jinja {
    enum Analysis {
        static func run(_ root: Frame) throws -> Frame {
            try resolve(root, parameters: [], parent: nil)
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
        private static func resolve(_ frame: Frame, parameters: [String], parent: Symbols?, loads: [Expr] = []) throws -> Frame {
            let symbols = Symbols(parent: parent, parameters: parameters)
            for expr in loads { try load(expr, symbols, soft: false) }
            try scan(frame.nodes, symbols, inBranch: false)
            return Frame(nodes: try frame.nodes.map { try resolveNested($0, symbols) }, undefinedOnEntry: symbols.undefinedOnEntry)
        }

        /// A frame's own statements in order; `inBranch` is inside an `if` (a soft frame).
        private static func scan(_ nodes: [Node], _ symbols: Symbols, inBranch: Bool) throws {
            for node in nodes {
                switch node.kind {
                case .text, .breakLoop, .continueLoop:
                    break
                case .output(let expr):
                    try load(expr, symbols, soft: inBranch)
                case .ifChain(let branches, let otherwise):
                    for branch in branches {
                        try load(branch.test, symbols, soft: true)
                        try scan(branch.body, symbols, inBranch: true)
                    }
                    try scan(otherwise, symbols, inBranch: true)
                case .forLoop(let loop):
                    try load(loop.iterable, symbols, soft: inBranch)
                case .set(let target, let value):
                    try load(value, symbols, soft: inBranch)
                    store(target, symbols, inBranch: inBranch)
                case .setBlock(let target, _, let filters):
                    try check(filters)
                    store(target, symbols, inBranch: inBranch)
                case .macro(let macro):
                    symbols.store(macro.name, inBranch: inBranch)
                case .callBlock(let call, _, _):
                    try load(call, symbols, soft: inBranch)
                case .filterBlock(let filters, _):
                    try check(filters)
                    for filter in filters { try load(filter.arguments, symbols, soft: inBranch) }
                case .with(let assignments, _):
                    for (_, value) in assignments { try load(value, symbols, soft: inBranch) }
                }
            }
        }

        /// The filters of `{% filter %}` and `{% set x | f %}` blocks, which Jinja compiles in
        /// a frame of their own (never soft).
        private static func check(_ filters: [FilterCall]) throws {
            for filter in filters { try checkFilter(filter.name, at: filter.location, soft: false) }
        }

        private static func checkFilter(_ name: String, at location: Location, soft: Bool) throws {
            if !soft && !isFilter(name) && !jinjaFilterNames.contains(name) {
                throw syntaxError("No filter named '\(name)'.", at: location)
            }
        }

        private static func checkTest(_ name: String, at location: Location, soft: Bool) throws {
            if !soft && !isTest(name) && !jinjaTestNames.contains(name) {
                throw syntaxError("No test named '\(name)'.", at: location)
            }
        }

        private static func resolveNested(_ node: Node, _ symbols: Symbols) throws -> Node {
            var node = node
            let macroSpecials = ["caller", "varargs", "kwargs"]
            switch node.kind {
            case .ifChain(let branches, let otherwise):
                node.kind = .ifChain(branches: try branches.map { ($0.test, try $0.body.map { try resolveNested($0, symbols) }) },
                                     otherwise: try otherwise.map { try resolveNested($0, symbols) })
            case .forLoop(var loop):
                loop.body = try resolve(loop.body, parameters: names(loop.target) + ["loop"], parent: symbols)
                loop.otherwise = try resolve(loop.otherwise, parameters: [], parent: symbols)
                // The loop's `if` filter runs in a frame of its own.
                if let filter = loop.filter { try load(filter, Symbols(parent: symbols, parameters: names(loop.target)), soft: false) }
                node.kind = .forLoop(loop)
            case .macro(var macro):
                macro.body = try resolve(macro.body, parameters: macro.parameters.map(\.name) + macroSpecials, parent: symbols,
                                     loads: macro.parameters.compactMap(\.defaultValue))
                node.kind = .macro(macro)
            case .callBlock(let call, let parameters, let body):
                let resolved = try resolve(body, parameters: parameters.map(\.name) + macroSpecials, parent: symbols,
                                       loads: parameters.compactMap(\.defaultValue))
                node.kind = .callBlock(call: call, callerParameters: parameters, body: resolved)
            case .setBlock(let target, let body, let filters):
                node.kind = .setBlock(target, body: try resolve(body, parameters: [], parent: symbols), filters: filters)
            case .filterBlock(let filters, let body):
                node.kind = .filterBlock(filters: filters, body: try resolve(body, parameters: [], parent: symbols))
            case .with(let assignments, let body):
                let targets = assignments.flatMap { names($0.0) }
                node.kind = .with(assignments: assignments, body: try resolve(body, parameters: targets, parent: symbols))
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

        private static func load(_ arguments: Arguments, _ symbols: Symbols, soft: Bool) throws {
            for expr in arguments.positional { try load(expr, symbols, soft: soft) }
            for (_, expr) in arguments.keyword { try load(expr, symbols, soft: soft) }
        }

        /// Every variable an expression reads, checking its filters and tests on the way;
        /// a conditional expression is soft throughout, as in Jinja.
        private static func load(_ expr: Expr, _ symbols: Symbols, soft: Bool) throws {
            func visit(_ child: Expr, soft childSoft: Bool? = nil) throws { try load(child, symbols, soft: childSoft ?? soft) }
            switch expr.kind {
            case .literal:
                break
            case .name(let name):
                symbols.load(name)
            case .list(let items), .tuple(let items):
                for item in items { try visit(item) }
            case .dict(let entries):
                for entry in entries {
                    try visit(entry.key)
                    try visit(entry.value)
                }
            case .attribute(let object, _), .not(let object), .negate(let object), .plus(let object):
                try visit(object)
            case .item(let object, let key), .binary(_, let object, let key), .and(let object, let key), .or(let object, let key):
                try visit(object)
                try visit(key)
            case .slice(let object, let start, let stop, let step):
                for part in [object, start, stop, step].compactMap({ $0 }) { try visit(part) }
            case .call(let callee, let arguments):
                try visit(callee)
                try load(arguments, symbols, soft: soft)
            case .filter(let operand, let name, let arguments):
                try checkFilter(name, at: expr.location, soft: soft)
                try visit(operand)
                try load(arguments, symbols, soft: soft)
            case .test(let operand, let name, let arguments):
                try checkTest(name, at: expr.location, soft: soft)
                try visit(operand)
                try load(arguments, symbols, soft: soft)
            case .compare(let first, let operations):
                try visit(first)
                for operation in operations { try visit(operation.rhs) }
            case .conditional(let then, let test, let otherwise):
                try visit(test, soft: true)
                try visit(then, soft: true)
                if let otherwise { try visit(otherwise, soft: true) }
            }
        }
    }
}
