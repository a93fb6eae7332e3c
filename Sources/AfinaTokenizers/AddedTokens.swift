// Added tokens (Hugging Face `added_tokens`; GGUF control and user-defined tokens) are found
// whole in the text before pre-tokenization, leftmost-longest first, as `tokenizers`'
// AddedVocabulary does with Aho-Corasick: first the tokens marked not `normalized` in the raw
// text, then the `normalized` ones, themselves normalized, in the normalized rest. Here a byte
// trie does the same job.

/// A token matched whole in text rather than built by merges, like `<|im_start|>`.
public struct AddedToken: Sendable, Equatable {
    public var content: String
    public var id: Int32
    /// Special tokens are left out by `decode(skipSpecial: true)` and can be left unparsed.
    public var special: Bool
    /// Whether a match also takes the whitespace before it (`lstrip`) or after it (`rstrip`).
    public var lstrip: Bool
    public var rstrip: Bool
    /// Whether it only matches as a whole word (not inside one).
    public var singleWord: Bool
    /// Whether it is matched in normalized text (so "[mask]" after lowercasing) rather than raw.
    public var normalized: Bool

    public init(content: String, id: Int32, special: Bool,
                lstrip: Bool = false, rstrip: Bool = false, singleWord: Bool = false, normalized: Bool = false) {
        self.content = content
        self.id = id
        self.special = special
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.singleWord = singleWord
        self.normalized = normalized
    }
}

/// Text cut into ordinary stretches (UTF-8 byte ranges) and added tokens.
enum TextPiece {
    case text(Range<Int>)
    case token(Int32)
}

/// Finds added tokens in UTF-8 text.
struct AddedTokenMatcher: Sendable {
    let tokens: [AddedToken]
    private let trie: ByteTrie
    /// The token (index into `tokens`) each trie node spells in full.
    private let terminals: [Int: Int]
    private let firstBytes: [Bool]

    init(_ tokens: [AddedToken]) {
        var trie = ByteTrie(), terminals: [Int: Int] = [:]
        var firstBytes = [Bool](repeating: false, count: 256)
        for (index, token) in tokens.enumerated() {
            guard let first = token.content.utf8.first else { continue }
            firstBytes[Int(first)] = true
            let node = trie.insert(token.content.utf8)
            if terminals[node] == nil { terminals[node] = index }
        }
        self.tokens = tokens
        self.trie = trie
        self.terminals = terminals
        self.firstBytes = firstBytes
    }

    /// `bytes` as ordinary text and added tokens; with `parseSpecial` false, special tokens
    /// are left in the text.
    func split(_ bytes: [UInt8], parseSpecial: Bool) -> [TextPiece] {
        var pieces: [TextPiece] = []
        var textStart = 0, i = 0
        while i < bytes.count {
            guard firstBytes[Int(bytes[i])], let (token, end) = longestMatch(bytes, at: i, parseSpecial: parseSpecial),
                  !token.singleWord || isWordBoundary(bytes, i, end) else {
                i += 1
                continue
            }
            let start = token.lstrip ? whitespaceStart(bytes, before: i, notBefore: textStart) : i
            let stop = token.rstrip ? whitespaceEnd(bytes, after: end) : end
            if textStart < start { pieces.append(.text(textStart..<start)) }
            pieces.append(.token(token.id))
            textStart = stop
            i = stop
        }
        if textStart < bytes.count { pieces.append(.text(textStart..<bytes.count)) }
        return pieces
    }

    private func longestMatch(_ bytes: [UInt8], at start: Int, parseSpecial: Bool) -> (AddedToken, Int)? {
        var node = ByteTrie.root, best: (AddedToken, Int)?
        var i = start
        while i < bytes.count, let child = trie.child(node, bytes[i]) {
            node = child
            i += 1
            if let index = terminals[node], parseSpecial || !tokens[index].special { best = (tokens[index], i) }
        }
        return best
    }

    /// `single_word`: no word character (alphanumeric or `_`) right before or after the match.
    private func isWordBoundary(_ bytes: [UInt8], _ start: Int, _ end: Int) -> Bool {
        func isWord(_ scalar: Unicode.Scalar?) -> Bool {
            guard let scalar else { return false }
            return scalar == "_" || ScalarClass(scalar) == .letter || ScalarClass(scalar) == .number
        }
        return !isWord(scalar(bytes, endingAt: start)?.0) && !isWord(scalar(bytes, startingAt: end)?.0)
    }

    private func whitespaceStart(_ bytes: [UInt8], before i: Int, notBefore limit: Int) -> Int {
        var start = i
        while start > limit, let (scalar, length) = scalar(bytes, endingAt: start), scalar.properties.isWhitespace {
            start -= length
        }
        return max(start, limit)
    }

    private func whitespaceEnd(_ bytes: [UInt8], after i: Int) -> Int {
        var end = i
        while let (scalar, length) = scalar(bytes, startingAt: end), scalar.properties.isWhitespace { end += length }
        return end
    }

    /// The scalar whose UTF-8 starts at `i`, and its length.
    private func scalar(_ bytes: [UInt8], startingAt i: Int) -> (Unicode.Scalar, Int)? {
        guard i < bytes.count else { return nil }
        var iterator = bytes[i...].makeIterator()
        var decoder = UTF8()
        guard case let .scalarValue(scalar) = decoder.decode(&iterator) else { return nil }
        return (scalar, UTF8.width(scalar))
    }

    /// The scalar whose UTF-8 ends at `i`, and its length.
    private func scalar(_ bytes: [UInt8], endingAt i: Int) -> (Unicode.Scalar, Int)? {
        var start = i - 1
        while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0, let (scalar, length) = scalar(bytes, startingAt: start), start + length == i else { return nil }
        return (scalar, length)
    }
}
