// Beam search as transformers' `generate(num_beams=K)` runs it by default (generation/utils.py
// `_beam_search`, early_stopping=False): per input, K running beams; each step the 2K best
// continuations of all beams by summed log-probability; those ending in a stop token among the
// first K become finished hypotheses scored sum / length^length_penalty (length counts the stop
// token), the K best others run on. An input is done when no running beam, scored at the
// current length, can beat the worst of K finished ones; all are done at max tokens, where the
// last step's first K continuations finish. Sums are float32, as there.
import AfinaTensor
import Foundation

/// One output of beam search: the generated ids (with the stop token that ended them) and
/// their length-penalized score.
public struct BeamResult: Sendable, Equatable {
    public var ids: [Int32]
    public var score: Float
}

public struct BeamSearch {
    public let model: any CausalLM
    public var beams: Int
    /// Scores are divided by length^lengthPenalty: above 0 favours longer outputs.
    public var lengthPenalty: Float

    public init(model: any CausalLM, beams: Int, lengthPenalty: Float = 1) {
        (self.model, self.beams, self.lengthPenalty) = (model, beams, lengthPenalty)
    }

    /// A candidate continuation: which beam it extends, the token, its summed log-probability.
    private struct Candidate {
        var beam: Int, token: Int32, score: Float
    }

    /// One input's search.
    private struct Search {
        var running: [(ids: [Int32], score: Float)]
        var finished: [BeamResult] = []
        var done = false
    }

    /// The best output for each prompt (for an encoder-decoder, each input).
    public func generate(_ prompts: [[Int32]], maxTokens: Int, stopTokens: Set<Int32>) throws -> [BeamResult] {
        guard beams > 0 else { throw ModelError.invalidArgument("beams must be positive, got \(beams)") }
        guard maxTokens > 0 else { throw ModelError.invalidArgument("max tokens must be positive") }
        guard !prompts.isEmpty else { return [] }
        let k = beams, v = model.vocabularySize
        let longest = prompts.map(\.count).max()!
        guard !prompts.contains(where: \.isEmpty) else { throw ModelError.invalidArgument("a prompt is empty") }
        guard longest < model.contextLength else { throw ModelError.promptTooLong(longest, contextLength: model.contextLength) }
        let capacity = min(model.contextLength, longest + maxTokens)
        let cache = model.makeCache(slots: prompts.count * k, capacity: capacity)
        // Every beam starts as the prompt; only the first is live (the others score -1e9).
        var rows = model.backend.floats(try model.logits(prompts.enumerated().map { SequenceChunk(slot: $0 * k, tokens: $1) },
                                                         cache: cache, allPositions: false))
        rows = (0..<prompts.count).flatMap { p in (0..<k).flatMap { _ in rows[p * v..<(p + 1) * v] } }
        var searches = prompts.map { _ in Search(running: (0..<k).map { ([], $0 == 0 ? 0 : -1e9) }) }
        for step in 0..<maxTokens {
            var sources = Array(0..<prompts.count * k), chunks: [SequenceChunk] = []
            let last = step + 1 >= maxTokens || cache.lengths.max()! >= capacity
            for (p, search) in searches.enumerated() where !search.done {
                let kept = advance(&searches[p], logits: rows, row: p * k, vocabulary: v, step: step, last: last,
                                   stopTokens: stopTokens)
                for (j, beam) in kept.enumerated() {
                    sources[p * k + j] = p * k + beam
                    chunks.append(SequenceChunk(slot: p * k + j, tokens: [searches[p].running[j].ids.last!]))
                }
            }
            if last || searches.allSatisfy(\.done) { break }
            cache.reorder(sources)
            let live = chunks.filter { !searches[$0.slot / k].done }
            let out = model.backend.floats(try model.logits(live, cache: cache, allPositions: false))
            for (i, chunk) in live.enumerated() {
                rows.replaceSubrange(chunk.slot * v..<(chunk.slot + 1) * v, with: out[i * v..<(i + 1) * v])
            }
        }
        return searches.map { $0.finished[0] }
    }

    /// One step of one input: extends its beams by `logits` (rows `row`..<row + K), records the
    /// hypotheses that finish, and returns the beam each new running beam came from.
    private func advance(_ search: inout Search, logits: [Float], row: Int, vocabulary v: Int, step: Int, last: Bool,
                         stopTokens: Set<Int32>) -> [Int] {
        let k = beams
        // The 2K best of all beams' continuations, best first (ties: the lower beam, then token);
        // no beam can place more than its own 2K best among them.
        var candidates: [Candidate] = []
        for beam in 0..<k {
            let base = (row + beam) * v
            let logSum = logSumExp(logits[base..<base + v])
            candidates += largest(2 * k, of: logits[base..<base + v]).map {
                Candidate(beam: beam, token: Int32($0), score: search.running[beam].score + (logits[base + $0] - logSum))
            }
        }
        let top = Array(candidates.enumerated().sorted { ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset) }
            .prefix(2 * k).map(\.element))
        let hits = top.map { last || stopTokens.contains($0.token) }
        // Finished hypotheses: stop tokens among the first K, scored by length.
        let length = Float(pow(Double(step + 1), Double(lengthPenalty)))
        for (j, candidate) in top.enumerated().prefix(k) where hits[j] {
            let ids = search.running[candidate.beam].ids + [candidate.token]
            search.finished.append(BeamResult(ids: ids, score: candidate.score / length))
        }
        search.finished = Array(search.finished.enumerated().sorted { ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset) }
            .prefix(k).map(\.element))
        // The K best continuations that did not finish run on.
        let next = top.indices.map { (j: $0, score: top[$0].score + (hits[$0] ? -1e9 : 0)) }
            .sorted { ($0.score, -$0.j) > ($1.score, -$1.j) }.prefix(k)
        let previous = search.running
        search.running = next.map { (previous[top[$0.j].beam].ids + [top[$0.j].token], $0.score) }
        // Done when K hypotheses finished and no running beam, at this length, beats the worst.
        if search.finished.count == k {
            let best = search.running[0].score / Float(pow(Double(step + 1), Double(lengthPenalty)))
            if best <= search.finished[k - 1].score { search.done = true }
        }
        if last { search.done = true }
        return next.map { top[$0.j].beam }
    }
}
