// How many sequences one decoding product may hold while each still gets, to the bit, the
// logits it gets alone. The CPU kernels choose their method by row count and the methods
// round differently (per-row dot products up to 4 rows, BLAS or dequantized BLAS tiles
// beyond). Batching past that count would make greedy answers depend on what else is
// running, so the engine decodes in groups of at most this many rows; a backend that
// changes its methods is measured again, not assumed.
import AfinaModels

enum RowIndependence {
    /// The largest n <= `limit` such that every batch of 1...n one-token sequences gives each
    /// row the logits it has alone, tried on `network` itself.
    static func rows(of network: any CausalLM, upTo limit: Int) throws -> Int {
        guard limit > 1 else { return 1 }
        let cache = network.makeCache(slots: limit, capacity: 1)
        let tokens = (0..<limit).map { Int32(($0 * 7 + 1) % network.vocabularySize) }
        func logits(_ slots: Range<Int>) throws -> [Float] {
            for slot in slots { cache.reset(slot: slot) }
            let chunks = slots.map { SequenceChunk(slot: $0, tokens: [tokens[$0]]) }
            return network.backend.floats(try network.logits(chunks, cache: cache, allPositions: false))
        }
        let alone = try (0..<limit).map { try logits($0..<$0 + 1) }
        var independent = 1
        for rows in 2...limit {
            guard try logits(0..<rows) == Array(alone[0..<rows].joined()) else { break }
            independent = rows
        }
        return independent
    }
}
