// The spelling-correction task: codespell's list of common misspellings (misspelling ->
// correction) turned into one-word chat exercises, with a seeded held-out set for evaluation.
// Dictionary format: one `misspelling->correction[, correction...][, reason]` per line.
import AfinaData

/// Correcting single misspelled words, built from codespell's dictionary.
public enum SpellingTask {
    /// A misspelled word and its one correction.
    public struct Pair: Sendable, Hashable {
        public var misspelling: String
        public var correction: String

        public init(misspelling: String, correction: String) {
            self.misspelling = misspelling
            self.correction = correction
        }
    }

    /// The pairs of each file the task writes.
    public struct Split: Sendable, Equatable {
        public var train: [Pair]
        public var validation: [Pair]
        public var heldOut: [Pair]

        public init(train: [Pair], validation: [Pair], heldOut: [Pair]) {
            (self.train, self.validation, self.heldOut) = (train, validation, heldOut)
        }
    }

    /// The instruction the model sees; the answer is the corrected word alone.
    public static func prompt(for misspelling: String) -> String {
        "Correct the spelling of this word: \(misspelling)"
    }

    /// The dictionary lines that are one plain word (lower-case ASCII letters) with exactly one
    /// correction that is also a plain word, in file order, each misspelling once. Lines with
    /// several corrections, a reason, capitals, digits or punctuation are left out.
    public static func pairs(fromDictionary text: String) -> [Pair] {
        var seen = Set<String>()
        var pairs: [Pair] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: "->", omittingEmptySubsequences: false)
            guard fields.count == 2, isPlainWord(fields[0]), isPlainWord(fields[1]), fields[0] != fields[1],
                  seen.insert(String(fields[0])).inserted else { continue }
            pairs.append(Pair(misspelling: String(fields[0]), correction: String(fields[1])))
        }
        return pairs
    }

    private static func isPlainWord(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }
    }

    /// `pairs` in an order fixed by `seed`: the first `heldOut` for evaluation, the next
    /// `validation` for validation loss, the rest for training.
    public static func split(_ pairs: [Pair], heldOut: Int, validation: Int, seed: UInt64) throws -> Split {
        guard heldOut >= 0, validation >= 0 else { throw DataError("held-out and validation sizes must not be negative") }
        guard heldOut + validation < pairs.count else {
            throw DataError("\(heldOut) held-out + \(validation) validation pairs leave no training pairs of \(pairs.count)")
        }
        let order = SplitMix64.permutation(count: pairs.count, seed: seed).map { pairs[$0] }
        return Split(train: Array(order[(heldOut + validation)...]),
                     validation: Array(order[heldOut..<(heldOut + validation)]),
                     heldOut: Array(order[..<heldOut]))
    }
}
