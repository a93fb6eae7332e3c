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

extension Jinja {
    /// Bounds on what one render builds (its steps: `ChatTemplate.maxSteps`). A chat template is
    /// a program that arrives inside a downloaded model file; these stop one that doubles a
    /// string until memory runs out, far above what real templates build (a prompt as long as a
    /// 128k-token context is about half a million characters).
    enum Limits {
        /// UTF-8 bytes of any one string a render makes, its output included.
        static let textBytes = 16 << 20
        /// Items of any one list a render makes.
        static let items = 1 << 20

        /// Fails unless `count` repetitions of `unit` units fit under `limit`.
        static func checkRepetition(_ unit: Int, count: Int, limit: Int, of what: String) throws {
            let (total, overflow) = max(unit, 1).multipliedReportingOverflow(by: max(count, 0))
            guard !overflow, total <= limit else { throw Failure("\(what) of \(count) repetitions is larger than a template may build") }
        }

        /// Fails when `value` is a string or list past the limits.
        static func check(_ value: Value) throws {
            switch value {
            case .string(let s) where s.utf8.count > textBytes:
                throw Failure("a string of \(s.utf8.count) bytes is larger than a template may build (\(textBytes >> 20) MiB)")
            case .array(let items) where items.count > Self.items:
                throw Failure("a list of \(items.count) items is longer than a template may build (\(Self.items))")
            default: break
            }
        }
    }
}
