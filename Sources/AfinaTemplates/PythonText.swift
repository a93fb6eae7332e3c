// Python `str` semantics on Unicode scalars (code points), which is what Jinja templates see:
// lengths, slices, `strip`, `split`, `replace`, `title`... count and cut code points, never
// Swift's grapheme clusters (so "\r\n" is two characters, as in Python).

extension Jinja {
    /// Python's `str.isspace`: Unicode White_Space plus the separators U+001C...U+001F.
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace || (0x1C...0x1F).contains(s.value)
    }

    static func isDigit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }

    static func isIdentifierStart(_ s: Unicode.Scalar) -> Bool { s == "_" || s.properties.isXIDStart }

    static func isIdentifierContinue(_ s: Unicode.Scalar) -> Bool { s == "_" || s.properties.isXIDContinue }

    static func string<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Python's `str.splitlines()` boundaries.
    static func isLineBreak(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: true
        default: false
        }
    }

    /// Python's `str.isupper()`/`islower()` building block: a letter with case.
    static func isCased(_ s: Unicode.Scalar) -> Bool {
        s.properties.isUppercase || s.properties.isLowercase || s.properties.generalCategory == .titlecaseLetter
    }
}

/// A Python string as an array of code points, with the `str` methods templates call.
struct PyString {
    var scalars: [Unicode.Scalar]

    init(_ text: String) { scalars = Array(text.unicodeScalars) }
    init<S: Sequence>(scalars: S) where S.Element == Unicode.Scalar { self.scalars = Array(scalars) }

    var string: String { Jinja.string(scalars) }

    /// The first index at or after `start` where `needle` begins, as Python's `str.find`.
    func find(_ needle: [Unicode.Scalar], from start: Int = 0) -> Int? {
        if needle.isEmpty { return start <= scalars.count ? start : nil }
        guard needle.count <= scalars.count else { return nil }
        var i = start
        while i + needle.count <= scalars.count {
            if scalars[i] == needle[0] && scalars[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// The last index where `needle` begins, as Python's `str.rfind`.
    func rfind(_ needle: [Unicode.Scalar]) -> Int? {
        guard needle.count <= scalars.count else { return nil }
        var i = scalars.count - needle.count
        while i >= 0 {
            if scalars[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i -= 1
        }
        return nil
    }

    func contains(_ needle: [Unicode.Scalar]) -> Bool { find(needle) != nil }

    /// Non-overlapping occurrences, as Python's `str.count`.
    func count(_ needle: [Unicode.Scalar]) -> Int {
        if needle.isEmpty { return scalars.count + 1 }
        var n = 0, i = 0
        while let j = find(needle, from: i) { n += 1; i = j + needle.count }
        return n
    }

    func hasPrefix(_ p: [Unicode.Scalar]) -> Bool { scalars.starts(with: p) }

    func hasSuffix(_ p: [Unicode.Scalar]) -> Bool {
        p.count <= scalars.count && scalars[(scalars.count - p.count)...].elementsEqual(p)
    }

    /// `str.replace(old, new, count)`; an empty `old` inserts `new` between every character.
    func replacing(_ old: [Unicode.Scalar], with new: [Unicode.Scalar], count limit: Int = -1) -> PyString {
        var out: [Unicode.Scalar] = []
        var done = 0
        if old.isEmpty {
            for s in scalars {
                if limit < 0 || done < limit { out += new; done += 1 }
                out.append(s)
            }
            if limit < 0 || done < limit { out += new }
            return PyString(scalars: out)
        }
        var i = 0
        while limit < 0 || done < limit, let j = find(old, from: i) {
            out += scalars[i..<j]
            out += new
            i = j + old.count
            done += 1
        }
        out += scalars[i...]
        return PyString(scalars: out)
    }

    /// `str.strip(chars)`: `chars == nil` strips whitespace.
    func stripped(_ chars: [Unicode.Scalar]?, leading: Bool = true, trailing: Bool = true) -> PyString {
        let strip: (Unicode.Scalar) -> Bool = chars.map { set in { set.contains($0) } } ?? Jinja.isSpace
        var lo = 0, hi = scalars.count
        if leading { while lo < hi && strip(scalars[lo]) { lo += 1 } }
        if trailing { while hi > lo && strip(scalars[hi - 1]) { hi -= 1 } }
        return PyString(scalars: scalars[lo..<hi])
    }

    /// `str.split(sep, maxsplit)`: without `sep`, splits on whitespace runs and drops empty parts.
    func split(_ separator: [Unicode.Scalar]?, maxSplits: Int = -1) -> [PyString] {
        guard let separator else {
            var parts: [PyString] = []
            var i = 0
            while i < scalars.count {
                while i < scalars.count && Jinja.isSpace(scalars[i]) { i += 1 }
                guard i < scalars.count else { break }
                if maxSplits >= 0 && parts.count == maxSplits {
                    parts.append(PyString(scalars: PyString(scalars: scalars[i...]).stripped(nil, leading: false).scalars))
                    break
                }
                var j = i
                while j < scalars.count && !Jinja.isSpace(scalars[j]) { j += 1 }
                parts.append(PyString(scalars: scalars[i..<j]))
                i = j
            }
            return parts
        }
        var parts: [PyString] = []
        var i = 0
        while maxSplits < 0 || parts.count < maxSplits, let j = find(separator, from: i) {
            parts.append(PyString(scalars: scalars[i..<j]))
            i = j + separator.count
        }
        parts.append(PyString(scalars: scalars[i...]))
        return parts
    }

    /// `str.rsplit(sep, maxsplit)` with an explicit separator.
    func rsplit(_ separator: [Unicode.Scalar], maxSplits: Int) -> [PyString] {
        if maxSplits < 0 { return split(separator) }
        var parts: [PyString] = []
        var end = scalars.count
        while parts.count < maxSplits, let j = PyString(scalars: scalars[..<end]).rfind(separator) {
            parts.insert(PyString(scalars: scalars[(j + separator.count)..<end]), at: 0)
            end = j
        }
        parts.insert(PyString(scalars: scalars[..<end]), at: 0)
        return parts
    }

    /// `str.splitlines()` (without `keepends`).
    func splitLines() -> [PyString] {
        var lines: [PyString] = []
        var start = 0, i = 0
        while i < scalars.count {
            if Jinja.isLineBreak(scalars[i]) {
                lines.append(PyString(scalars: scalars[start..<i]))
                if scalars[i] == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n" { i += 1 }
                start = i + 1
            }
            i += 1
        }
        if start < scalars.count { lines.append(PyString(scalars: scalars[start...])) }
        return lines
    }

    /// `str.capitalize()`: the first character upper-cased, the rest lower-cased.
    func capitalized() -> String {
        guard let first = scalars.first else { return "" }
        return String(first).uppercased() + Jinja.string(scalars.dropFirst()).lowercased()
    }

    /// Python's `str.title()`: a cased character after an uncased one starts a word.
    func pythonTitle() -> String {
        var out = ""
        var previousCased = false
        for s in scalars {
            let cased = Jinja.isCased(s)
            out += cased ? (previousCased ? String(s).lowercased() : String(s).uppercased()) : String(s)
            previousCased = cased
        }
        return out
    }

    /// Jinja's `title` filter: words start after whitespace, `-`, `(`, `{`, `[` or `<`.
    func jinjaTitle() -> String {
        var out = ""
        var atWordStart = true
        for s in scalars {
            let separator = Jinja.isSpace(s) || "-({[<".unicodeScalars.contains(s)
            if separator {
                out.unicodeScalars.append(s)
            } else {
                out += atWordStart ? String(s).uppercased() : String(s).lowercased()
            }
            atWordStart = separator
        }
        return out
    }
}
