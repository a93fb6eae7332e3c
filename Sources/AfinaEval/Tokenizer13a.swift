// The "13a" tokenizer of mteval-v13a.pl as sacrebleu 2.6.0 implements it
// (sacrebleu/tokenizers/tokenizer_13a.py and tokenizer_re.py), the default for BLEU and the
// tokenization of HuggingFace evaluate's SARI; and the two pieces of Python's str behaviour
// that the reference metrics rely on (str.lower, str.split/rstrip whitespace).
//
// Text is handled as Unicode scalars, as Python's str indexes code points: Swift's String
// compares and hashes by canonical equivalence ("é" == "e\u{301}"), Python does not, so
// tokens are [Unicode.Scalar] wherever they are counted or compared.

public enum Tokenizer13a {
    public typealias Token = [Unicode.Scalar]

    /// The tokenized line, tokens joined by single spaces (sacrebleu's `Tokenizer13a()(line)`).
    public static func tokenize(_ line: String) -> String {
        var scalars = String.UnicodeScalarView()
        for (i, token) in tokens(line).enumerated() {
            if i > 0 { scalars.append(" ") }
            scalars.append(contentsOf: token)
        }
        return String(scalars)
    }

    /// The tokens of `line`: what `Tokenizer13a()(line).split()` gives in Python.
    public static func tokens(_ line: String) -> [Token] {
        var text = Array(line.unicodeScalars)
        // Language-independent part: mteval's handling of markup and line ends.
        text = replacing(text, "<skipped>", with: "")
        text = replacing(text, "-\n", with: "")
        text = replacing(text, "\n", with: " ")
        if text.contains("&") {
            // In this order, as sacrebleu: "&amp;lt;" ends as "<".
            for (entity, character) in [("&quot;", "\""), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">")] {
                text = replacing(text, entity, with: character)
            }
        }
        text = [" "] + text + [" "]

        // Language-dependent part (Western languages), the four regular expressions in order.
        // 1. `([\{-\~\[-\` -\&\(-\+\:-\@\/])` -> ` \1 `: most ASCII punctuation and symbols
        //    stand alone; the apostrophe, comma, hyphen and period are handled below or kept.
        text = text.flatMap { isSymbol($0) ? [" ", $0, " "] : [$0] }
        // 2. `([^0-9])([\.,])` -> `\1 \2 `: a period or comma not preceded by a digit.
        text = substitutePairs(text, { !isDigit($0) }, { $0 == "." || $0 == "," }) { [$0, " ", $1, " "] }
        // 3. `([\.,])([^0-9])` -> ` \1 \2`: a period or comma not followed by a digit.
        text = substitutePairs(text, { $0 == "." || $0 == "," }, { !isDigit($0) }) { [" ", $0, " ", $1] }
        // 4. `([0-9])(-)` -> `\1 \2 `: a hyphen after a digit.
        text = substitutePairs(text, isDigit, { $0 == "-" }) { [$0, " ", $1, " "] }
        return PythonText.split(text)
    }

    /// Python regular expressions' `[0-9]`: ASCII digits only.
    static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    /// The first expression's class: `{`-`~`, `[`-`` ` ``, space-`&`, `(`-`+`, `:`-`@` and `/`.
    static func isSymbol(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    /// `re.sub` of a two-character pattern: matches are found left to right and do not
    /// overlap, so a character consumed by one match cannot start the next ("a.,b" splits
    /// only the period in step 2).
    static func substitutePairs(_ text: [Unicode.Scalar], _ first: (Unicode.Scalar) -> Bool,
                                _ second: (Unicode.Scalar) -> Bool,
                                _ replacement: (Unicode.Scalar, Unicode.Scalar) -> [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.count + text.count / 2)
        var i = 0
        while i < text.count {
            if i + 1 < text.count, first(text[i]), second(text[i + 1]) {
                out += replacement(text[i], text[i + 1])
                i += 2
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// Python's `str.replace(target, replacement)`: left to right, non-overlapping.
    static func replacing(_ text: [Unicode.Scalar], _ target: String, with replacement: String) -> [Unicode.Scalar] {
        let pattern = Array(target.unicodeScalars), substitute = Array(replacement.unicodeScalars)
        guard text.count >= pattern.count else { return text }
        var out: [Unicode.Scalar] = []
        var i = 0
        while i < text.count {
            if i + pattern.count <= text.count, text[i..<i + pattern.count].elementsEqual(pattern) {
                out += substitute
                i += pattern.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }
}

/// The parts of Python's `str` the reference implementations depend on.
enum PythonText {
    /// `str.isspace()`: Unicode White_Space plus the four ASCII separators U+001C-U+001F,
    /// which Python counts as whitespace and Swift's `isWhitespace` does not.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        (0x1C...0x1F).contains(c.value) || c.properties.isWhitespace
    }

    /// `str.split()` with no argument: runs of whitespace separate, none at either end.
    static func split(_ text: [Unicode.Scalar]) -> [Tokenizer13a.Token] {
        var tokens: [Tokenizer13a.Token] = [], current: Tokenizer13a.Token = []
        for c in text {
            if isSpace(c) {
                if !current.isEmpty { tokens.append(current); current = [] }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    /// `str.rstrip()`.
    static func rstrip(_ text: String) -> String {
        var scalars = text.unicodeScalars[...]
        while let last = scalars.last, isSpace(last) { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }

    /// `str.lower()`: each scalar's full lowercase mapping (so "İ" becomes "i\u{307}"), and a
    /// capital sigma becomes final "ς" at the end of a word, which Swift's `lowercased()`
    /// does not do. The Final_Sigma rule is Unicode's (chapter 3.13), as CPython applies it:
    /// a cased letter before it and none after it, skipping case-ignorable characters.
    static func lower(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (i, c) in scalars.enumerated() {
            if c.value == 0x3A3 {
                out.append(isFinalSigma(scalars, at: i) ? "\u{3C2}" : "\u{3C3}")
            } else {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    static func isFinalSigma(_ scalars: [Unicode.Scalar], at i: Int) -> Bool {
        let before = scalars[..<i].last { !$0.properties.isCaseIgnorable }
        guard let before, before.properties.isCased else { return false }
        let after = scalars[(i + 1)...].first { !$0.properties.isCaseIgnorable }
        return after.map { !$0.properties.isCased } ?? true
    }
}
