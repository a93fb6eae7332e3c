// Which teacher answers become training examples. Rules, in the order they are checked (an
// answer dropped is counted under the first rule it fails):
//   empty           no visible text (only whitespace, or only the end-of-turn token)
//   truncated       cut off at the generation limit (finish reason "length"), unless kept
//   too short/long  fewer than minTokens or more than maxTokens answer tokens
//   duplicate       the same prompt and answer as one kept before, after collapsing whitespace
//   near duplicate  word 3-gram Jaccard similarity >= nearDuplicateJaccard with an answer kept
//                   for the same prompt (words lowercased; answers under 3 words are one shingle)
// The filter remembers only kept answers, so its decisions depend on the kept records alone,
// and a resumed run rebuilds it from the output file to decide exactly as an unbroken one.
import AfinaData
import AfinaTemplates

public struct AnswerFilter: Sendable {
    public struct Rules: Sendable, Equatable {
        /// Keep answers that reached the token limit.
        public var keepTruncated = false
        /// Fewest answer tokens kept (the end-of-turn token is not counted).
        public var minTokens = 0
        /// Most answer tokens kept; nil: no bound beyond the generation limit.
        public var maxTokens: Int?
        /// Answers at least this similar (word 3-gram Jaccard, in (0, 1]) to one kept for the
        /// same prompt are dropped.
        public var nearDuplicateJaccard = 0.9

        public init(keepTruncated: Bool = false, minTokens: Int = 0, maxTokens: Int? = nil,
                    nearDuplicateJaccard: Double = 0.9) {
            self.keepTruncated = keepTruncated
            self.minTokens = minTokens
            self.maxTokens = maxTokens
            self.nearDuplicateJaccard = nearDuplicateJaccard
        }

        /// Rejects rules that make no sense, naming the setting.
        public func validate() throws {
            guard minTokens >= 0 else { throw TrainingError.invalidSetup("min answer tokens must be >= 0, got \(minTokens)") }
            if let maxTokens, maxTokens < max(minTokens, 1) {
                throw TrainingError.invalidSetup("max answer tokens must be >= 1 and >= min answer tokens, got \(maxTokens)")
            }
            guard nearDuplicateJaccard > 0 && nearDuplicateJaccard <= 1 else {
                throw TrainingError.invalidSetup("the near-duplicate Jaccard threshold must be in (0, 1], got \(nearDuplicateJaccard)")
            }
        }
    }

    public enum Verdict: String, Sendable {
        case kept, empty, truncated, tooShort, tooLong, duplicate, nearDuplicate
    }

    /// How many answers were generated, kept, and dropped by each rule.
    public struct Counts: Codable, Sendable, Equatable {
        public var generated = 0, kept = 0
        public var empty = 0, truncated = 0, tooShort = 0, tooLong = 0, duplicate = 0, nearDuplicate = 0

        public init() {}

        mutating func add(_ verdict: Verdict) {
            generated += 1
            switch verdict {
            case .kept: kept += 1
            case .empty: empty += 1
            case .truncated: truncated += 1
            case .tooShort: tooShort += 1
            case .tooLong: tooLong += 1
            case .duplicate: duplicate += 1
            case .nearDuplicate: nearDuplicate += 1
            }
        }

        /// "12 generated, 9 kept; dropped: 1 empty, 2 truncated" (rules that dropped nothing left out).
        public var summary: String {
            let drops = [(empty, "empty"), (truncated, "truncated"), (tooShort, "too short"), (tooLong, "too long"),
                         (duplicate, "duplicate"), (nearDuplicate, "near-duplicate")].filter { $0.0 > 0 }
            return "\(generated) generated, \(kept) kept"
                + (drops.isEmpty ? "" : "; dropped: " + drops.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        }
    }

    public let rules: Rules
    /// Set when resuming, to the counts of the earlier runs.
    public internal(set) var counts = Counts()
    /// Normalized prompt + answer of every kept answer.
    private var keptPairs: Set<String> = []
    /// The shingles of the answers kept for each normalized prompt.
    private var keptShingles: [String: [Set<UInt64>]] = [:]

    public init(rules: Rules) { self.rules = rules }

    /// Decides on one answer of `prompt` with `tokens` answer tokens, counts the verdict, and
    /// remembers the answer when it is kept.
    public mutating func judge(prompt: [ChatMessage], answer: String, tokens: Int, truncated: Bool) -> Verdict {
        let verdict = decide(prompt: prompt, answer: answer, tokens: tokens, truncated: truncated)
        counts.add(verdict)
        if verdict == .kept { remember(prompt: prompt, answer: answer) }
        return verdict
    }

    /// Remembers an answer kept in an earlier run, without counting it.
    public mutating func remember(prompt: [ChatMessage], answer: String) {
        let key = Self.key(prompt)
        keptPairs.insert(key + "\u{0}" + Self.collapsingWhitespace(answer))
        keptShingles[key, default: []].append(Self.shingles(answer))
    }

    private func decide(prompt: [ChatMessage], answer: String, tokens: Int, truncated: Bool) -> Verdict {
        let normalized = Self.collapsingWhitespace(answer)
        if normalized.isEmpty { return .empty }
        if truncated && !rules.keepTruncated { return .truncated }
        if tokens < rules.minTokens { return .tooShort }
        if let maxTokens = rules.maxTokens, tokens > maxTokens { return .tooLong }
        let key = Self.key(prompt)
        if keptPairs.contains(key + "\u{0}" + normalized) { return .duplicate }
        let shingles = Self.shingles(answer)
        if keptShingles[key, default: []].contains(where: { Shingles.jaccard($0, shingles) >= rules.nearDuplicateJaccard }) {
            return .nearDuplicate
        }
        return .kept
    }

    /// The prompt's turns with whitespace collapsed, one "role: content" per line.
    static func key(_ prompt: [ChatMessage]) -> String {
        prompt.map { $0.role + ": " + collapsingWhitespace($0.content) }.joined(separator: "\n")
    }

    /// Words separated by single spaces, no leading or trailing whitespace.
    static func collapsingWhitespace(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The (hashed) lowercased word 3-grams, split at whitespace; an answer of fewer than 3
    /// words is one shingle.
    static func shingles(_ text: String) -> Set<UInt64> {
        Shingles.of(text.lowercased().split(whereSeparator: \.isWhitespace).map(String.init))
    }
}
