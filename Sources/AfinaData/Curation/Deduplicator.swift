// Exact and near-duplicate removal. A record's text is all its texts joined (`CurationLine.texts`),
// normalized to lower-case words (runs of letters and digits) separated by single spaces, so
// case, punctuation and spacing differences do not count.
//   - Exact duplicates: the same normalized text as an earlier record.
//   - Near duplicates: word 3-gram (shingle) sets with Jaccard similarity >= the threshold to an
//     earlier kept record. Candidates come from MinHash with locality-sensitive hashing
//     (Broder 1997; Leskovec, Rajaraman & Ullman, "Mining of Massive Datasets", ch. 3): 128
//     hash functions in b bands of r rows, r the largest for which a pair at the threshold
//     becomes a candidate with probability >= 0.99; every candidate is then confirmed with the
//     exact Jaccard similarity, so nothing below the threshold is removed (a pair above it is
//     missed with probability < 1%). A text of fewer than 3 words is one shingle.
// The first record of a group is kept, later ones are dropped.
import Foundation

/// Word n-gram sets and their Jaccard similarity.
public enum Shingles {
    /// The hashed word `n`-grams of `words` (the whole sequence when shorter than `n`).
    public static func of(_ words: [String], n: Int = 3) -> Set<UInt64> {
        guard !words.isEmpty else { return [] }
        if words.count < n { return [hash(words[...])] }
        return Set((0...(words.count - n)).map { hash(words[$0..<$0 + n]) })
    }

    /// |a ∩ b| / |a ∪ b|; 1 for two empty sets.
    public static func jaccard(_ a: Set<UInt64>, _ b: Set<UInt64>) -> Double {
        if a.isEmpty && b.isEmpty { return 1 }
        let common = a.count <= b.count ? a.filter(b.contains).count : b.filter(a.contains).count
        return Double(common) / Double(a.count + b.count - common)
    }

    /// 64-bit FNV-1a of the words joined by spaces (stable across runs, unlike `Hasher`).
    static func hash(_ words: ArraySlice<String>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for (index, word) in words.enumerated() {
            if index > 0 { h = (h ^ 0x20) &* 0x0100_0000_01b3 }
            for byte in word.utf8 { h = (h ^ UInt64(byte)) &* 0x0100_0000_01b3 }
        }
        return h
    }
}

/// Drops exact and near-duplicate records.
public struct Deduplicator: Sendable {
    /// Jaccard similarity of word 3-gram sets at or above which a record is a near duplicate;
    /// above 1 turns near-duplicate removal off.
    public var threshold: Double
    public var hashes = 128

    public init(threshold: Double = 0.9) { self.threshold = threshold }

    public struct Summary: Sendable, Equatable {
        public var records = 0, kept = 0, exactDuplicates = 0, nearDuplicates = 0
    }

    /// Indices of the records to keep (in order) among `texts` (one string per record).
    public func keep(_ texts: [String]) -> (kept: [Int], summary: Summary) {
        let (bands, rows) = bandsAndRows()
        var summary = Summary(records: texts.count)
        var seen = Set<String>()
        var kept: [Int] = []
        var keptShingles: [Int: Set<UInt64>] = [:]
        var buckets: [UInt64: [Int]] = [:]
        for (index, text) in texts.enumerated() {
            let words = WordScanner.normalizedWords(text)
            guard seen.insert(words.joined(separator: " ")).inserted else {
                summary.exactDuplicates += 1
                continue
            }
            if threshold <= 1 {
                let shingles = Shingles.of(words)
                let signature = Self.minHash(shingles, count: bands * rows)
                let keys = (0..<bands).map { band in
                    signature[band * rows..<(band + 1) * rows].reduce(UInt64(band)) { Self.mix($0 ^ $1) }
                }
                var candidates = Set<Int>()
                for key in keys { candidates.formUnion(buckets[key] ?? []) }
                if candidates.contains(where: { Shingles.jaccard(shingles, keptShingles[$0]!) >= threshold }) {
                    summary.nearDuplicates += 1
                    continue
                }
                keptShingles[index] = shingles
                for key in keys { buckets[key, default: []].append(index) }
            }
            kept.append(index)
        }
        summary.kept = kept.count
        return (kept, summary)
    }

    /// (b, r) with b * r <= `hashes`: the largest r for which a pair at the threshold becomes a
    /// candidate with probability 1 - (1 - t^r)^b >= 0.99.
    func bandsAndRows() -> (Int, Int) {
        var best = (hashes, 1)
        for rows in 1...hashes {
            let bands = hashes / rows
            if 1 - pow(1 - pow(min(threshold, 1), Double(rows)), Double(bands)) >= 0.99 { best = (bands, rows) }
        }
        return best
    }

    /// The MinHash signature: for each of `count` seeded hash functions (SplitMix64's finalizer
    /// over the shingle hash xor the seed), the minimum over the shingles.
    static func minHash(_ shingles: Set<UInt64>, count: Int) -> [UInt64] {
        (0..<count).map { function in
            let seed = UInt64(function + 1) &* 0x9E37_79B9_7F4A_7C15
            return shingles.lazy.map { mix($0 ^ seed) }.min() ?? 0
        }
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Drops training records that share a word n-gram with an evaluation record.
/// Each evaluation record's texts (prompt, reference, ...) are normalized like `Deduplicator`'s
/// and all their word `n`-grams collected; a training record is dropped when any of its own
/// n-grams (over all its texts) is among them. An evaluation text shorter than `n` words is
/// matched whole: a training text containing that exact word sequence is dropped too, so short
/// prompts like the spelling task's are still caught; texts of fewer than `minimumWords` words
/// are ignored (a one-word reference would match half the training set).
public struct Decontaminator: Sendable {
    public var n: Int
    public var minimumWords: Int
    /// Word n-grams (and whole short texts) of the evaluation set, by length.
    private var grams: [Int: Set<String>] = [:]
    /// How many evaluation texts were shorter than `minimumWords` and ignored.
    public private(set) var ignoredShortTexts = 0

    public init(against evalTexts: [String], n: Int = 13, minimumWords: Int = 4) {
        self.n = n
        self.minimumWords = minimumWords
        for text in evalTexts {
            let words = WordScanner.normalizedWords(text)
            if words.count < minimumWords {
                if !words.isEmpty { ignoredShortTexts += 1 }
                continue
            }
            let length = min(n, words.count)
            for start in 0...(words.count - length) {
                grams[length, default: []].insert(words[start..<start + length].joined(separator: " "))
            }
        }
    }

    /// Distinct evaluation n-grams (and short texts) collected.
    public var gramCount: Int { grams.values.reduce(0) { $0 + $1.count } }

    /// Whether a record with these texts shares an n-gram with the evaluation set.
    public func isContaminated(_ texts: [String]) -> Bool {
        for text in texts {
            let words = WordScanner.normalizedWords(text)
            for (length, set) in grams where words.count >= length {
                for start in 0...(words.count - length)
                where set.contains(words[start..<start + length].joined(separator: " ")) {
                    return true
                }
            }
        }
        return false
    }
}
