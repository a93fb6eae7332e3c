// Splitting text into words and the gaps between them, so a rewrite can replace words and keep
// every other character (spaces, punctuation, the "'s" of a possessive) exactly as it was.
// A word is a run of letters and digits; apostrophes and hyphens end it, so "John's" is the
// word "John", the gap "'", the word "s", and "father-in-law" is three words.

/// A word of a text and the characters before it.
struct ScannedWord {
    /// The characters between the previous word (or the start) and this word.
    var gapBefore: Substring
    var word: Substring
}

enum WordScanner {
    /// The words of `text`, each with the gap before it, and the gap after the last word.
    static func scan(_ text: String) -> (words: [ScannedWord], tail: Substring) {
        var words: [ScannedWord] = []
        var index = text.startIndex
        var gapStart = index
        while index < text.endIndex {
            if isWordCharacter(text[index]) {
                let wordStart = index
                while index < text.endIndex && isWordCharacter(text[index]) { index = text.index(after: index) }
                words.append(ScannedWord(gapBefore: text[gapStart..<wordStart], word: text[wordStart..<index]))
                gapStart = index
            } else {
                index = text.index(after: index)
            }
        }
        return (words, text[gapStart...])
    }

    static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber }

    /// The lower-cased words of `text`, for n-grams and normalized comparison.
    static func normalizedWords(_ text: String) -> [String] {
        scan(text).words.map { $0.word.lowercased() }
    }

    /// Words that end with a period without ending a sentence.
    private static let abbreviations: Set<String> = ["mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "no",
                                                     "inc", "ltd", "co", "corp", "gen", "col", "sgt", "capt", "rev", "hon"]

    /// The words of `text` grouped into sentences: a sentence ends at a gap holding '.', '!',
    /// '?' or a line break, except a '.' after an abbreviation (Mr., Dr., ...) or a single letter.
    static func sentences(_ text: String) -> [[Substring]] {
        let scanned = scan(text)
        var sentences: [[Substring]] = []
        var current: [Substring] = []
        func ends(_ gap: Substring, after previous: Substring?) -> Bool {
            if gap.contains(where: { $0 == "!" || $0 == "?" || $0.isNewline }) { return true }
            guard gap.contains(".") else { return false }
            guard let previous else { return false }
            if gap.first == ".", previous.count == 1 || abbreviations.contains(previous.lowercased()) {
                return gap.dropFirst().contains(".")
            }
            return true
        }
        for word in scanned.words {
            if !current.isEmpty && ends(word.gapBefore, after: current.last) {
                sentences.append(current)
                current = []
            }
            current.append(word.word)
        }
        if !current.isEmpty { sentences.append(current) }
        return sentences
    }
}
