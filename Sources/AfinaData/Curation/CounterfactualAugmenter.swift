// Counterfactual data augmentation for gender (Lu et al. 2018, "Gender Bias in Neural Natural
// Language Processing"; Zhao et al. 2018, WinoBias): every gendered word of a text is replaced
// by its counterpart, and the swapped copy is trained on beside the original.
//
// Pronouns keep their grammatical case: he<->she, himself<->herself, him->her, hers->his.
// "her" is either an object (-> "him") or a possessive determiner (-> "his"), and "his" either
// a determiner (-> "her") or a predicative pronoun (-> "hers"). The rule looks at what follows:
//   - "her" before a word, with only spaces between, that is not a function word
//     (`FunctionWords`: determiners, pronouns, prepositions, conjunctions, auxiliaries,
//     adverbs of time) -> "his"  ("her book", "her new job", "her own");
//   - "her" before punctuation, the end of the text, or a function word -> "him"
//     ("saw her.", "gave her a pen", "told her that", "with her and");
//   - "his" before a word that is not a function word -> "her", otherwise -> "hers".
// Limits: an adverb or particle not in the list reads as a noun ("saw her yesterday" is right,
// "saw her quickly" becomes "his quickly"); "her" before an -ing word is taken as possessive
// ("heard her singing" -> "his singing"); "back" is taken as a particle ("her back hurts" ->
// "him back hurts").
// Nouns and titles swap by a fixed table (`GenderLexicon`); Mr -> Ms, Mrs and Ms -> Mr.
// First names swap by frequency rank between the census lists (the i-th most common male name
// <-> the i-th most common female name); a name whose rank has no counterpart stays, and so
// does a surname after a title ("Mr. Thomas" -> "Ms. Thomas", see `GenderLexicon.classify`).
// Case is kept (lower, Capitalized, UPPER) and everything between words (the "'s" of a
// possessive included) is left as it was.
import Foundation

/// Writes gender-swapped copies of texts.
public struct CounterfactualAugmenter: Sendable {
    public let lexicon: GenderLexicon

    public init(lexicon: GenderLexicon) { self.lexicon = lexicon }

    /// `text` with every gendered word swapped, and how many words were replaced.
    public func swap(_ text: String) -> (text: String, replaced: Int) {
        let scanned = WordScanner.scan(text)
        guard !scanned.words.isEmpty else { return (text, 0) }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        var replaced = 0
        for (index, item) in scanned.words.enumerated() {
            out += item.gapBefore
            let next: ScannedWord? = index + 1 < scanned.words.count ? scanned.words[index + 1] : nil
            let previous = index > 0 ? scanned.words[index - 1].word : nil
            if let swapped = counterpart(of: item.word, previous: previous, next: next) {
                out += Self.matchCase(swapped, to: item.word)
                replaced += 1
            } else {
                out += item.word
            }
        }
        out += scanned.tail
        return (out, replaced)
    }

    /// The lower-cased counterpart of `word`, if it is gendered and has one.
    func counterpart(of word: Substring, previous: Substring?, next: ScannedWord?) -> String? {
        let lower = word.lowercased()
        // A following word counts only when nothing but spaces separates them.
        let following: String? = next.flatMap { next in
            next.gapBefore.allSatisfy({ $0 == " " || $0 == "\t" }) && !next.gapBefore.isEmpty ? next.word.lowercased() : nil
        }
        let beforeContentWord = following.map { !FunctionWords.all.contains($0) } ?? false
        switch lower {
        case "her": return beforeContentWord ? "his" : "him"
        case "his": return beforeContentWord ? "her" : "hers"
        default: break
        }
        if let (_, swapped) = GenderLexicon.pronouns[lower] { return swapped }
        if let (_, swapped) = GenderLexicon.nouns[lower] { return swapped }
        if let (_, kind) = lexicon.classify(word, previous: previous, next: next?.word), kind == .name {
            return lexicon.names.counterpart(of: lower)
        }
        return nil
    }

    /// `replacement` (lower case) written in the case of `original`: UPPER when `original` has
    /// two or more letters all upper-case, Capitalized when its first letter is, lower otherwise.
    static func matchCase(_ replacement: String, to original: Substring) -> String {
        let letters = original.filter(\.isLetter)
        if letters.count > 1 && letters.allSatisfy(\.isUppercase) { return replacement.uppercased() }
        if let first = original.first, first.isUppercase { return replacement.prefix(1).uppercased() + replacement.dropFirst() }
        return replacement
    }
}
