// Splits template source into tokens exactly as Jinja2's lexer (jinja2/lexer.py) does with
// the settings Hugging Face uses: `trim_blocks=True`, `lstrip_blocks=True`, default
// delimiters, no line statements. Comments are dropped here; `{% raw %}` becomes text.

extension Jinja {
    struct Token: Equatable {
        enum Kind: Equatable {
            case text(String)
            case blockBegin, blockEnd       // {% %}
            case variableBegin, variableEnd // {{ }}
            case name(String)
            case string(String)
            case integer(Int)
            case float(Double)
            case op(String)
            case end
        }
        var kind: Kind
        var location: Location
    }

    struct Lexer {
        let source: [Unicode.Scalar]
        private let lineStarts: [Int]
        private var pos = 0
        private var tokens: [Token] = []

        /// Tokenizes `text`; the last token is `.end`.
        static func tokenize(_ text: String) throws -> [Token] {
            var lexer = Lexer(text)
            try lexer.run()
            return lexer.tokens
        }

        private init(_ text: String) {
            // Jinja normalizes \r\n and \r to \n and drops one trailing newline
            // (keep_trailing_newline=False).
            var scalars: [Unicode.Scalar] = []
            scalars.reserveCapacity(text.unicodeScalars.count)
            var previousWasCR = false
            for s in text.unicodeScalars {
                if s == "\r" { scalars.append("\n"); previousWasCR = true; continue }
                if s == "\n" && previousWasCR { previousWasCR = false; continue }
                previousWasCR = false
                scalars.append(s)
            }
            if scalars.last == "\n" { scalars.removeLast() }
            source = scalars
            var starts = [0]
            for (i, s) in scalars.enumerated() where s == "\n" { starts.append(i + 1) }
            lineStarts = starts
        }

        func location(_ offset: Int) -> Location {
            var lo = 0, hi = lineStarts.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
            }
            return Location(line: lo + 1, column: offset - lineStarts[lo] + 1)
        }

        private func starts(with literal: String, at i: Int) -> Bool {
            var j = i
            for s in literal.unicodeScalars {
                guard j < source.count, source[j] == s else { return false }
                j += 1
            }
            return true
        }

        private func skipWhitespace(from i: Int) -> Int {
            var j = i
            while j < source.count && Jinja.isSpace(source[j]) { j += 1 }
            return j
        }

        private mutating func emit(_ kind: Token.Kind, at offset: Int) {
            tokens.append(Token(kind: kind, location: location(offset)))
        }

        // MARK: Text between tags

        private enum TagKind { case comment, block, variable, raw }

        private struct TagStart {
            var kind: TagKind
            var offset: Int  // where "{" is
            var sign: Unicode.Scalar?  // "-" or "+" right after the opening delimiter
            var end: Int  // first offset after the opening delimiter and its sign (after the whole `{% raw %}` for raw)
        }

        private mutating func run() throws {
            while pos < source.count {
                guard let tag = nextTagStart(from: pos) else {
                    emit(.text(Jinja.string(source[pos...])), at: pos)
                    break
                }
                emitText(from: pos, to: tag.offset, beforeTagWith: tag.sign, lstripBlocks: tag.kind != .variable)
                switch tag.kind {
                case .comment: pos = try skipComment(opening: tag)
                case .raw: pos = try lexRaw(opening: tag)
                case .block:
                    emit(.blockBegin, at: tag.offset)
                    pos = try lexTag(from: tag.end, opening: tag, isBlock: true)
                case .variable:
                    emit(.variableBegin, at: tag.offset)
                    pos = try lexTag(from: tag.end, opening: tag, isBlock: false)
                }
            }
            emit(.end, at: source.count)
        }

        /// The text before a tag: `-` after the opening delimiter strips all whitespace before
        /// it; otherwise, unless the sign is `+`, lstrip_blocks strips spaces and tabs between a
        /// line start and a block or comment tag (never a `{{`).
        private mutating func emitText(from start: Int, to end: Int, beforeTagWith sign: Unicode.Scalar?, lstripBlocks: Bool) {
            var cut = end
            if sign == "-" {
                while cut > start && Jinja.isSpace(source[cut - 1]) { cut -= 1 }
            } else if lstripBlocks && sign != "+" {
                var lineStart = end
                while lineStart > start && source[lineStart - 1] != "\n" { lineStart -= 1 }
                // Jinja strips only at a real line start: after a newline inside this text,
                // or when the text itself begins a line.
                let atLineStart = lineStart > start || start == 0 || source[start - 1] == "\n"
                if atLineStart && lineStart < end && source[lineStart..<end].allSatisfy(Jinja.isSpace) {
                    cut = lineStart
                }
            }
            if cut > start { emit(.text(Jinja.string(source[start..<cut])), at: start) }
        }

        private func nextTagStart(from start: Int) -> TagStart? {
            var i = start
            while i + 1 < source.count {
                if source[i] == "{" {
                    let kind: TagKind? = switch source[i + 1] {
                    case "#": .comment
                    case "%": .block
                    case "{": .variable
                    default: nil
                    }
                    if let kind {
                        var end = i + 2
                        var sign: Unicode.Scalar?
                        if end < source.count && (source[end] == "-" || source[end] == "+") {
                            sign = source[end]
                            end += 1
                        }
                        if kind == .block, let rawEnd = rawOpeningEnd(from: end) {
                            return TagStart(kind: .raw, offset: i, sign: sign, end: rawEnd)
                        }
                        return TagStart(kind: kind, offset: i, sign: sign, end: end)
                    }
                }
                i += 1
            }
            return nil
        }

        /// `\s*raw\s*(-%}\s*|%})` after `{%`: the offset after it, or nil when this is another tag.
        private func rawOpeningEnd(from i: Int) -> Int? {
            var j = skipWhitespace(from: i)
            guard starts(with: "raw", at: j) else { return nil }
            j = skipWhitespace(from: j + 3)
            if starts(with: "-%}", at: j) { return skipWhitespace(from: j + 3) }
            if starts(with: "%}", at: j) { return j + 2 }
            return nil
        }

        /// The end of a block or comment: `+%}` keeps what follows, `-%}` eats all whitespace
        /// after it, plain `%}` eats one newline (trim_blocks). Returns the offset after it.
        private func closingEnd(at i: Int, delimiter: String) -> Int? {
            if starts(with: "+" + delimiter, at: i) { return i + 3 }
            if starts(with: "-" + delimiter, at: i) { return skipWhitespace(from: i + 3) }
            if starts(with: delimiter, at: i) {
                let after = i + 2
                return after < source.count && source[after] == "\n" ? after + 1 : after
            }
            return nil
        }

        private func skipComment(opening: TagStart) throws -> Int {
            var i = opening.end
            while i < source.count {
                if let after = closingEnd(at: i, delimiter: "#}") { return after }
                i += 1
            }
            throw syntaxError("missing '#}' to close the comment", at: location(opening.offset))
        }

        private mutating func lexRaw(opening: TagStart) throws -> Int {
            var i = opening.end
            while i + 1 < source.count {
                if source[i] == "{" && source[i + 1] == "%" {
                    var j = i + 2
                    var sign: Unicode.Scalar?
                    if j < source.count && (source[j] == "-" || source[j] == "+") { sign = source[j]; j += 1 }
                    j = skipWhitespace(from: j)
                    if starts(with: "endraw", at: j), let after = closingEnd(at: skipWhitespace(from: j + 6), delimiter: "%}") {
                        emitText(from: opening.end, to: i, beforeTagWith: sign, lstripBlocks: true)
                        return after
                    }
                }
                i += 1
            }
            throw syntaxError("missing '{% endraw %}' for the raw block", at: location(opening.offset))
        }

        // MARK: Inside {% %} and {{ }}

        private mutating func lexTag(from start: Int, opening: TagStart, isBlock: Bool) throws -> Int {
            var i = start
            var brackets: [Unicode.Scalar] = []  // closing brackets still expected
            while i < source.count {
                // An end delimiter only counts outside brackets, as in Jinja (`{{ {'a': {}} }}`).
                if brackets.isEmpty {
                    if isBlock, let after = closingEnd(at: i, delimiter: "%}") {
                        emit(.blockEnd, at: i)
                        return after
                    }
                    if !isBlock {
                        if starts(with: "-}}", at: i) { emit(.variableEnd, at: i); return skipWhitespace(from: i + 3) }
                        if starts(with: "}}", at: i) { emit(.variableEnd, at: i); return i + 2 }
                    }
                }
                let c = source[i]
                if Jinja.isSpace(c) {
                    i += 1
                } else if let (kind, after) = try number(at: i) {
                    emit(kind, at: i)
                    i = after
                } else if Jinja.isIdentifierStart(c) {
                    var j = i + 1
                    while j < source.count && Jinja.isIdentifierContinue(source[j]) { j += 1 }
                    emit(.name(Jinja.string(source[i..<j])), at: i)
                    i = j
                } else if c == "'" || c == "\"" {
                    let (value, after) = try stringLiteral(at: i)
                    emit(.string(value), at: i)
                    i = after
                } else if let op = Lexer.operators.first(where: { starts(with: $0, at: i) }) {
                    switch op {
                    case "(": brackets.append(")")
                    case "[": brackets.append("]")
                    case "{": brackets.append("}")
                    case ")", "]", "}":
                        guard let expected = brackets.popLast() else {
                            throw syntaxError("unexpected '\(op)'", at: location(i))
                        }
                        if String(expected) != op {
                            throw syntaxError("unexpected '\(op)', expected '\(expected)'", at: location(i))
                        }
                    default: break
                    }
                    emit(.op(op), at: i)
                    i += op.unicodeScalars.count
                } else {
                    throw syntaxError("unexpected character '\(c)'", at: location(i))
                }
            }
            let closer = isBlock ? "%}" : "}}"
            throw syntaxError("missing '\(closer)' to close the tag opened here", at: location(opening.offset))
        }

        /// Jinja's operators, longest first.
        private static let operators = ["//", "**", "==", "!=", ">=", "<=",
                                        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}",
                                        ">", "<", "=", ".", ":", "|", ",", ";"]
    }
}
