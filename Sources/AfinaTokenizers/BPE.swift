// Byte-pair encoding of one word (Sennrich et al. 2016, "Neural Machine Translation of Rare
// Words with Subword Units"; GPT-2's byte-level variant, and SentencePiece's over scalars in
// SentencePiece.swift). The merge order follows Hugging Face
// `tokenizers` (models/bpe/word.rs `merge_all`): repeatedly merge the adjacent pair with the
// lowest rank, the leftmost one among equals, using a min-heap so long words stay O(n log n).

/// The merge table of a BPE vocabulary.
struct BPE: Sendable {
    /// For each adjacent pair (left id, right id), its merge rank and merged id: `rank << 32 | id`.
    private let merges: [UInt64: UInt64]
    /// The id of each byte's alphabet character (nil where the vocabulary lacks it); byte-level
    /// BPE only.
    private let byteIDs: [Int32?]
    /// Where the vocabulary is consulted first (`ignore_merges`, Llama 3): a word that is a
    /// token is that token, whatever the merges would give.
    private let wholeWords: [String: Int32]?

    /// `merges[rank] = (left, right, merged)` ids; a pair listed twice keeps its first rank.
    init(merges: [(Int32, Int32, Int32)], byteIDs: [Int32?] = [], wholeWords: [String: Int32]?) {
        self.init(rankedMerges: merges.enumerated().map { ($1.0, $1.1, $1.2, UInt32($0)) }, byteIDs: byteIDs, wholeWords: wholeWords)
    }

    /// Merges with explicit ranks, which several may share (SentencePiece scores); a pair listed
    /// twice keeps its first rank.
    init(rankedMerges: [(left: Int32, right: Int32, merged: Int32, rank: UInt32)], byteIDs: [Int32?] = [],
         wholeWords: [String: Int32]?) {
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(rankedMerges.count)
        for (left, right, merged, rank) in rankedMerges where table[Self.key(left, right)] == nil {
            table[Self.key(left, right)] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
        }
        self.merges = table
        self.byteIDs = byteIDs
        self.wholeWords = wholeWords
    }

    /// The token a word spelled `spelling` is as a whole when merges are ignored for tokens.
    func wholeWord(_ spelling: String) -> Int32? {
        wholeWords?[spelling]
    }

    /// The ids of one pre-tokenized word given as UTF-8. Bytes the vocabulary cannot spell are
    /// `unknown`, or dropped when there is no unknown token (as `tokenizers` without `unk_token`).
    func encode(_ word: ArraySlice<UInt8>, unknown: Int32?) -> [Int32] {
        if let id = wholeWord(ByteLevel.spelling(of: word)) { return [id] }
        var symbols = word.compactMap { byteIDs[Int($0)] ?? unknown }
        merge(&symbols)
        return symbols
    }

    /// Applies the merges to `symbols` in rank order until none applies.
    func merge(_ symbols: inout [Int32]) {
        let n = symbols.count
        guard n > 1 else { return }
        // A doubly linked list over the symbols: merging folds the right symbol into the left.
        var next = Array(1...n), previous = Array(-1..<n - 1)
        var alive = [Bool](repeating: true, count: n)
        var queue = MinHeap()
        func enqueue(_ left: Int) {
            guard left >= 0, next[left] < n, let merge = merges[Self.key(symbols[left], symbols[next[left]])] else { return }
            queue.push((merge >> 32) << 32 | UInt64(left))
        }
        for i in 0..<n - 1 { enqueue(i) }
        while let top = queue.pop() {
            let left = Int(top & 0xFFFF_FFFF), right = next[left]
            // Skip entries made stale by an earlier merge: the pair must still be the queued one.
            guard alive[left], right < n, let merge = merges[Self.key(symbols[left], symbols[right])],
                  merge >> 32 == top >> 32 else { continue }
            symbols[left] = Int32(truncatingIfNeeded: merge)
            alive[right] = false
            next[left] = next[right]
            if next[left] < n { previous[next[left]] = left }
            enqueue(previous[left])
            enqueue(left)
        }
        var merged: [Int32] = []
        var i = 0
        while i < n {
            merged.append(symbols[i])
            i = next[i]
        }
        symbols = merged
    }

    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }
}

/// A binary min-heap of packed `rank << 32 | position` entries: lowest rank first, then leftmost.
private struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(_ item: UInt64) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return top }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
