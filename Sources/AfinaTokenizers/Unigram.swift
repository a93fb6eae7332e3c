// The Unigram language model of SentencePiece (Kudo 2018, "Subword Regularization: Improving
// Neural Network Translation Models with Multiple Subword Candidates"): a word is cut into the
// pieces whose log-probabilities (scores) sum highest, found by Viterbi over the byte positions
// where a scalar starts. This follows Hugging Face `tokenizers` (models/unigram `encode_optimized`
// and `tokenize`), itself sentencepiece's unigram_model.cc: a scalar no piece starts with is the
// unknown token scored 10 below the lowest piece, consecutive unknowns are fused, and an unknown
// stretch becomes byte tokens under byte fallback.

/// A Unigram vocabulary.
struct Unigram: Sendable {
    /// Ids by UTF-8, the last id of a text winning (as `tokenizers`' `token_to_ids`).
    private let ids: [[UInt8]: Int32]
    private let scores: [Double]
    /// A byte trie of every piece.
    private let trie: ByteTrie
    /// The piece each trie node spells in full.
    private let terminals: [Int: Int32]
    private let unknown: UnknownSpelling
    private let unknownID: Int32
    /// The score of an unknown scalar.
    private let unknownScore: Double

    /// `pieces[id]` with its score; `unknownID` is required, as every scalar must have a path.
    init(pieces: [(String, Double)], unknownID: Int32, byteFallback: Bool) {
        var ids: [[UInt8]: Int32] = [:], trie = ByteTrie(), terminals: [Int: Int32] = [:]
        for (id, (piece, _)) in pieces.enumerated() {
            ids[Array(piece.utf8)] = Int32(id)
            terminals[trie.insert(piece.utf8)] = Int32(id)
        }
        self.ids = ids
        self.scores = pieces.map(\.1)
        self.trie = trie
        self.terminals = terminals.mapValues { ids[Array(pieces[Int($0)].0.utf8)]! }
        self.unknown = UnknownSpelling(byteFallback: byteFallback, unknownID: unknownID, ids: ids)
        self.unknownID = unknownID
        self.unknownScore = (pieces.map(\.1).min() ?? 0) - 10
    }

    /// The ids of the word `text[word]`.
    func encode(_ text: ScalarText, _ word: Range<Int>) -> [Int32] {
        let bytes = Array(text.bytes(word))
        guard !bytes.isEmpty else { return [] }
        // best[end]: the best path over bytes[..<end], as its score, last piece and where it starts.
        var best = [(score: Double, id: Int32, start: Int)?](repeating: nil, count: bytes.count + 1)
        best[0] = (0, -1, 0)
        func offer(_ end: Int, _ score: Double, _ id: Int32, _ start: Int) {
            if best[end] == nil || score > best[end]!.score { best[end] = (score, id, start) }
        }
        let base = text.utf8Offsets[word.lowerBound]
        for i in word {
            let start = text.utf8Offsets[i] - base, scalarEnd = text.utf8Offsets[i + 1] - base
            let before = best[start]!.score
            var hasScalarPiece = false
            var node = ByteTrie.root, end = start
            while end < bytes.count, let child = trie.child(node, bytes[end]) {
                node = child
                end += 1
                guard let id = terminals[node] else { continue }
                offer(end, before + scores[Int(id)], id, start)
                if end == scalarEnd { hasScalarPiece = true }
            }
            if !hasScalarPiece { offer(scalarEnd, before + unknownScore, unknownID, start) }
        }
        // Walk back, joining runs of unknown pieces into one stretch.
        var stretches: [Range<Int>] = []
        var end = bytes.count, afterUnknown = false
        while end > 0 {
            let node = best[end]!
            let isUnknown = node.id == unknownID
            if isUnknown && afterUnknown {
                stretches[stretches.count - 1] = node.start..<stretches[stretches.count - 1].upperBound
            } else {
                stretches.append(node.start..<end)
            }
            afterUnknown = isUnknown
            end = node.start
        }
        var result: [Int32] = []
        result.reserveCapacity(stretches.count)
        for stretch in stretches.reversed() {
            if let id = ids[Array(bytes[stretch])] {
                result.append(id)
            } else {
                result += unknown.byteTokens(bytes[stretch]) ?? [unknownID]
            }
        }
        return result
    }
}
