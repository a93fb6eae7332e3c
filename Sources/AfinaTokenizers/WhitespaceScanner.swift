// The pre-tokenizers of WordPiece vocabularies (tokenizers' pre_tokenizers/bert.rs and
// whitespace.rs): whitespace separates words and is dropped, unlike the byte-level rules
// where it belongs to the next word.

enum WhitespaceScanner {
    /// BertPreTokenizer: split on whitespace, then every punctuation character (BERT's
    /// definition, `BertUnicode.isPunctuation`) is a word of its own.
    static func splitBert(_ text: ScalarText, into words: inout [Range<Int>]) {
        var start = 0
        for i in 0..<text.count {
            let isSpace = text.classes[i] == .whitespace
            guard isSpace || BertUnicode.isPunctuation(text.scalars[i]) else { continue }
            if start < i { words.append(start..<i) }
            if !isSpace { words.append(i..<i + 1) }
            start = i + 1
        }
        if start < text.count { words.append(start..<text.count) }
    }

    /// WhitespaceSplit: the runs of non-whitespace.
    static func splitOnWhitespace(_ text: ScalarText, into words: inout [Range<Int>]) {
        var start = 0
        for i in 0..<text.count where text.classes[i] == .whitespace {
            if start < i { words.append(start..<i) }
            start = i + 1
        }
        if start < text.count { words.append(start..<text.count) }
    }

    /// Whitespace: the regex `\w+|[^\w\s]+` (Rust `regex` crate), i.e. runs of word characters
    /// and runs of other non-space characters.
    static func splitWordsAndSymbols(_ text: ScalarText, into words: inout [Range<Int>]) {
        var i = 0
        while i < text.count {
            if text.classes[i] == .whitespace {
                i += 1
                continue
            }
            let word = isWordCharacter(text.scalars[i])
            var end = i + 1
            while end < text.count && text.classes[end] != .whitespace && isWordCharacter(text.scalars[end]) == word {
                end += 1
            }
            words.append(i..<end)
            i = end
        }
    }

    /// `\w` in Unicode mode: Alphabetic, marks, decimal digits, connector punctuation and the
    /// joiners U+200C/U+200D, as of Unicode 16.0 (the `regex` crate's tables).
    private static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            return scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
        }
        guard BertUnicode.assigned(scalar, by: 16, 0) else { return false }
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}
