// WordPiece (Schuster & Nakajima 2012, "Japanese and Korean Voice Search"; BERT's tokenizer):
// each word is cut greedily into the longest vocabulary entry at its start, then the longest
// entry spelled with the continuation prefix ("##") at each following position, as Hugging
// Face `tokenizers` models/wordpiece does. A word that cannot be cut this way, or that is too
// long, is the unknown token as a whole.

/// A WordPiece vocabulary.
struct WordPiece: Sendable {
    /// Ids by the UTF-8 of each entry: Swift string equality is canonical equivalence, under
    /// which "é" and "e\u{301}" are the same key, but they are different tokens here.
    private let ids: [[UInt8]: Int32]
    private let unknownID: Int32
    private let prefix: [UInt8]
    private let maxCharacters: Int
    /// No entry is longer, so longer candidates are not looked up.
    private let maxEntryBytes: Int

    /// `vocabulary` holds the model's entries only (not the added tokens), as `tokenizers`.
    init(vocabulary: [String?], unknownID: Int32, prefix: String, maxCharacters: Int) {
        var ids: [[UInt8]: Int32] = [:]
        for (id, token) in vocabulary.enumerated() {
            if let token { ids[Array(token.utf8)] = Int32(id) }
        }
        self.ids = ids
        self.unknownID = unknownID
        self.prefix = Array(prefix.utf8)
        self.maxCharacters = maxCharacters
        self.maxEntryBytes = ids.keys.map(\.count).max() ?? 0
    }

    /// The ids of the word `text[word]`.
    func encode(_ text: ScalarText, _ word: Range<Int>) -> [Int32] {
        guard word.count <= maxCharacters else { return [unknownID] }
        let bytes = Array(text.bytes(word))
        // Where each scalar after the first starts, in the word's bytes: the candidate ends.
        let boundaries = text.utf8Offsets[word.lowerBound + 1...word.upperBound].map { $0 - text.utf8Offsets[word.lowerBound] }
        var pieces: [Int32] = []
        var start = 0
        while start < bytes.count {
            guard let (id, end) = longestEntry(bytes, from: start, ends: boundaries) else { return [unknownID] }
            pieces.append(id)
            start = end
        }
        return pieces
    }

    /// The longest entry at `start` (spelled with the prefix after the first piece) and where
    /// it ends.
    private func longestEntry(_ bytes: [UInt8], from start: Int, ends: [Int]) -> (Int32, Int)? {
        let head = start > 0 ? prefix : []
        for end in ends.reversed() where end > start && head.count + end - start <= maxEntryBytes {
            if let id = ids[head + bytes[start..<end]] { return (id, end) }
        }
        return nil
    }
}
