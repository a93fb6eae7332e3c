// The parsed template: statements (`Node`) holding expressions (`Expr`), each with its place
// in the source for error messages. Mirrors the subset of jinja2/nodes.py that chat
// templates use.

extension Jinja {
    struct Expr: Sendable {
        indirect enum Kind: Sendable {
            case literal(Literal)
            case name(String)
            case list([Expr])
            case tuple([Expr])
            case dict([(key: Expr, value: Expr)])
            /// `a.b`: attribute first, then item (Jinja's `getattr`).
            case attribute(Expr, String)
            /// `a[b]`: item first, then attribute (Jinja's `getitem`).
            case item(Expr, Expr)
            case slice(Expr, start: Expr?, stop: Expr?, step: Expr?)
            case call(Expr, Arguments)
            case filter(Expr, name: String, Arguments)
            case test(Expr, name: String, Arguments)
            case not(Expr)
            case negate(Expr)
            case plus(Expr)
            case binary(BinaryOperator, Expr, Expr)
            case and(Expr, Expr)
            case or(Expr, Expr)
            /// `a < b <= c` chains as in Python.
            case compare(Expr, [(op: CompareOperator, rhs: Expr)])
            /// `then if test else otherwise`; a missing `else` gives undefined.
            case conditional(then: Expr, test: Expr, otherwise: Expr?)
        }
        var kind: Kind
        var location: Location
    }

    enum Literal: Sendable {
        case none, bool(Bool), int(Int), double(Double), string(String)
    }

    enum BinaryOperator: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//"
        case modulo = "%", power = "**", concat = "~"
    }

    enum CompareOperator: String, Sendable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case `in` = "in", notIn = "not in"
    }

    /// Call arguments: positional then `name=value`.
    struct Arguments: Sendable {
        var positional: [Expr] = []
        var keyword: [(name: String, value: Expr)] = []
    }

    /// What `set` and `for` assign to.
    enum Target: Sendable {
        case name(String)
        case tuple([String])
        /// `ns.attr`, only on a namespace.
        case namespaceAttribute(String, String)
    }

    /// A macro parameter with its optional default.
    struct Parameter: Sendable {
        var name: String
        var defaultValue: Expr?
    }

    struct Node: Sendable {
        indirect enum Kind: Sendable {
            case text(String)
            case output(Expr)
            case ifChain(branches: [(test: Expr, body: [Node])], otherwise: [Node])
            case forLoop(ForLoop)
            case set(Target, Expr)
            /// `{% set x %}...{% endset %}`, the body's output through optional filters.
            case setBlock(Target, body: Frame, filters: [FilterCall])
            case macro(Macro)
            /// `{% call(params) macro(args) %}body{% endcall %}`: the body becomes `caller`.
            case callBlock(call: Expr, callerParameters: [Parameter], body: Frame)
            case filterBlock(filters: [FilterCall], body: Frame)
            /// `{% with a = 1 %}...{% endwith %}`: assignments visible only inside.
            case with(assignments: [(Target, Expr)], body: Frame)
            case breakLoop
            case continueLoop
        }
        var kind: Kind
        var location: Location
    }

    struct ForLoop: Sendable {
        var target: Target
        var iterable: Expr
        var filter: Expr?
        var body: Frame
        /// Runs, in a frame of its own, when the loop ran no iteration.
        var otherwise: Frame
    }

    struct Macro: Sendable {
        var name: String
        var parameters: [Parameter]
        var body: Frame
    }

    /// Statements that run in a scope of their own (Jinja's frames: the template, a loop
    /// iteration, a macro call, a `with`, `set` or `filter` block).
    struct Frame: Sendable {
        var nodes: [Node]
        /// Names this frame assigns before it reads them (see Analysis.swift): they start
        /// undefined instead of showing an outer or context value of the same name.
        var undefinedOnEntry: [String] = []
    }

    struct FilterCall: Sendable {
        var name: String
        var arguments: Arguments
        var location: Location
    }
}
