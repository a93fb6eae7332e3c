// The one error a chat template raises, whether it fails to parse or fails while rendering.

/// A chat template that cannot be parsed or rendered, with the place in the template source.
public struct ChatTemplateError: Error, Equatable, CustomStringConvertible {
    /// What went wrong, in the order a template meets it.
    public enum Kind: Sendable, Equatable {
        /// The template text is not valid Jinja (an unclosed tag, an unknown statement...).
        case syntax
        /// A valid template failed on this input (an unknown filter, a type error...).
        case runtime
        /// The template itself refused the input with `raise_exception(message)`;
        /// `message` is exactly the template's text.
        case raised
    }

    public let kind: Kind
    public let message: String
    /// 1-based line in the template source, or 0 where no place applies.
    public let line: Int
    /// 1-based column (in Unicode scalars) in the template source, or 0 where no place applies.
    public let column: Int

    public init(_ kind: Kind, _ message: String, line: Int, column: Int) {
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String {
        let place = line > 0 ? "chat template line \(line), column \(column)" : "chat template"
        switch kind {
        case .syntax: return "\(place): syntax error: \(message)"
        case .runtime: return "\(place): \(message)"
        case .raised: return "\(place): raise_exception: \(message)"
        }
    }
}
