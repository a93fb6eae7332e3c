// GPT-2's pre-tokenizer regex (openai/gpt-2 encoder.py; Hugging Face ByteLevel use_regex=true)
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// as a scanner: at each position the first alternative that matches wins, and every
// quantifier is greedy (nothing follows it inside its alternative, so greedy is maximal).

enum GPT2Scanner {
    /// Appends the words of `text[range]` to `words`; the end of `range` is the end of input.
    static func split(_ text: ScalarText, _ range: Range<Int>, into words: inout [Range<Int>]) {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let next = wordEnd(text, at: i, end: end)
            words.append(i..<next)
            i = next
        }
    }

    private static func wordEnd(_ text: ScalarText, at i: Int, end: Int) -> Int {
        if let contraction = contractionEnd(text, at: i, end: end) { return contraction }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional U+0020, then a run of one class.
        let start = text.scalars[i] == " " && i + 1 < end ? i + 1 : i
        let cls = text.classes[start]
        if cls != .whitespace { return text.run(of: cls, from: start, to: end) }
        return text.whitespaceWord(at: i, end: end)
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` (case-sensitive) at `i`.
    private static func contractionEnd(_ text: ScalarText, at i: Int, end: Int) -> Int? {
        guard text.scalars[i] == "'", i + 1 < end else { return nil }
        switch text.scalars[i + 1] {
        case "s", "t", "m", "d": return i + 2
        case "r", "v":
            return i + 2 < end && text.scalars[i + 2] == "e" ? i + 3 : nil
        case "l":
            return i + 2 < end && text.scalars[i + 2] == "l" ? i + 3 : nil
        default: return nil
        }
    }
}
