// The Qwen2 / Llama 3 pre-tokenizer regex (Hugging Face Split, behavior isolated)
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}
//   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// as a scanner: at each position the first alternative that matches wins. The alternatives
// cover every scalar, so "isolated" splitting leaves no unmatched gaps.

enum Qwen2Scanner {
    /// Appends the words of `text[range]` to `words`; the end of `range` is the end of input.
    static func split(_ text: ScalarText, _ range: Range<Int>, maxDigits: Int, into words: inout [Range<Int>]) {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let next = wordEnd(text, at: i, end: end, maxDigits: maxDigits)
            words.append(i..<next)
            i = next
        }
    }

    private static func wordEnd(_ text: ScalarText, at i: Int, end: Int, maxDigits: Int) -> Int {
        if let contraction = contractionEnd(text, at: i, end: end) { return contraction }
        let cls = text.classes[i]
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if cls == .letter { return text.run(of: .letter, from: i, to: end) }
        if cls != .number && !text.isLineBreak(i) && i + 1 < end && text.classes[i + 1] == .letter {
            return text.run(of: .letter, from: i + 1, to: end)
        }
        // `\p{N}{1,maxDigits}`
        if cls == .number { return min(text.run(of: .number, from: i, to: end), i + maxDigits) }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let start = text.scalars[i] == " " && i + 1 < end ? i + 1 : i
        if text.classes[start] == .other {
            var j = text.run(of: .other, from: start, to: end)
            while j < end && text.isLineBreak(j) { j += 1 }
            return j
        }
        // `\s*[\r\n]+`: the whitespace run up to its last line break, if it has one.
        let runEnd = text.run(of: .whitespace, from: i, to: end)
        if let lastBreak = (i..<runEnd).last(where: text.isLineBreak) { return lastBreak + 1 }
        return text.whitespaceWord(at: i, end: end)
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at `i`. Case folding also matches U+017F (long s) as "s",
    /// as Oniguruma does.
    private static func contractionEnd(_ text: ScalarText, at i: Int, end: Int) -> Int? {
        guard text.scalars[i] == "'", i + 1 < end else { return nil }
        let third = i + 2 < end ? text.scalars[i + 2] : "\0"
        switch text.scalars[i + 1] {
        case "s", "S", "\u{17F}", "t", "T", "m", "M", "d", "D": return i + 2
        case "r", "R", "v", "V": return third == "e" || third == "E" ? i + 3 : nil
        case "l", "L": return third == "l" || third == "L" ? i + 3 : nil
        default: return nil
        }
    }
}
