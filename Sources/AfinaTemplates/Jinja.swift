// The namespace of the Jinja implementation and the errors its parts share. The files
// follow the pipeline: Lexer -> Parser (AST) -> Analysis -> Interpreter, over Value.

/// The Jinja dialect of Hugging Face chat templates: lexer, parser and interpreter live in
/// this namespace so their names cannot clash with the rest of the module.
enum Jinja {
    /// An error below the interpreter that does not know its place in the template yet; the
    /// expression that triggered it adds the location.
    struct Failure: Error {
        var kind: ChatTemplateError.Kind = .runtime
        var message: String
        init(_ message: String) { self.message = message }
        init(raised message: String) { self.kind = .raised; self.message = message }

        func located(at location: Location) -> ChatTemplateError {
            ChatTemplateError(kind, message, line: location.line, column: location.column)
        }
    }
}

extension Jinja {
    /// A place in the template source (1-based line and column).
    struct Location: Sendable, Equatable {
        var line: Int
        var column: Int
    }

    static func syntaxError(_ message: String, at location: Location) -> ChatTemplateError {
        ChatTemplateError(.syntax, message, line: location.line, column: location.column)
    }

    static func runtimeError(_ message: String, at location: Location) -> ChatTemplateError {
        ChatTemplateError(.runtime, message, line: location.line, column: location.column)
    }
}
