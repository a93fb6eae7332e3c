// Sampling rules and the generation loop (stops, streaming), on a scripted model whose next
// token is always (last token + 1) mod V, so expected outputs follow from the rules alone.
import AfinaTensor
import XCTest
@testable import AfinaModels

/// Logits that put the most mass on (last token + 1) mod V, then on +2, +3, ...
final class CountingModel: CausalLM, @unchecked Sendable {
    let backend: any Backend = CPUBackend()
    let vocabularySize = 8
    let contextLength = 64
    func makeCache(slots: Int, capacity: Int) -> KVCache {
        KVCache(backend: backend, layers: 1, slots: slots, capacity: capacity, width: 1)
    }
    func logits(_ chunks: [SequenceChunk], cache: KVCache, allPositions: Bool) throws -> Tensor {
        var values: [Float] = []
        for chunk in chunks {
            _ = try cache.reserve(slot: chunk.slot, count: chunk.tokens.count)
            cache.advance(slot: chunk.slot, by: chunk.tokens.count)
            let next = (Int(chunk.tokens.last!) + 1) % vocabularySize
            values += (0..<vocabularySize).map { Float(-((($0 - next) + vocabularySize) % vocabularySize)) }
        }
        return backend.tensor(values, shape: [chunks.count, vocabularySize])
    }
}

final class GenerationTests: XCTestCase {
    let letters = Array("abcdefgh")
    func decode(_ ids: [Int32]) -> String { String(ids.map { letters[Int($0)] }) }

    func testGreedyFollowsTheLargestLogitAndStopsAtMaxTokens() throws {
        let generator = Generator(model: CountingModel(), decode: decode)
        let result = try generator.generate([GenerationRequest(prompt: [2], maxTokens: 5)])[0]
        XCTAssertEqual(result.ids, [3, 4, 5, 6, 7])
        XCTAssertEqual(result.text, "defgh")
        XCTAssertEqual(result.finishReason, .length)
    }

    func testStopTokenEndsGenerationAndIsLeftOutOfTheText() throws {
        let generator = Generator(model: CountingModel(), decode: decode)
        let result = try generator.generate([GenerationRequest(prompt: [0], maxTokens: 10, stopTokens: [4])])[0]
        XCTAssertEqual(result.ids, [1, 2, 3, 4])
        XCTAssertEqual(result.text, "bcd")
        XCTAssertEqual(result.finishReason, .stop)
    }

    func testStopStringCutsTheTextAndStreamingNeverShowsItsPrefix() throws {
        let generator = Generator(model: CountingModel(), decode: decode)
        var pieces: [String] = []
        let result = try generator.generate([GenerationRequest(prompt: [0], maxTokens: 10, stopStrings: ["efx", "fg"])],
                                            onText: { _, piece in pieces.append(piece) })[0]
        XCTAssertEqual(result.text, "bcde")
        // "e" is held back while it may begin "efx", and released once "fg" ends the text.
        XCTAssertEqual(pieces, ["b", "c", "d", "e"])
        XCTAssertEqual(result.finishReason, .stop)
    }

    func testBatchedSequencesFinishIndependently() throws {
        let generator = Generator(model: CountingModel(), decode: decode)
        let results = try generator.generate([GenerationRequest(prompt: [0], maxTokens: 2),
                                              GenerationRequest(prompt: [3], maxTokens: 4, stopTokens: [6]),
                                              GenerationRequest(prompt: [5], maxTokens: 3)])
        XCTAssertEqual(results.map(\.ids), [[1, 2], [4, 5, 6], [6, 7, 0]])
    }

    func testLogprobsAreALogSoftmaxWithTheTopTokensFirst() throws {
        let generator = Generator(model: CountingModel(), decode: decode)
        let result = try generator.generate([GenerationRequest(prompt: [0], maxTokens: 1, topLogprobs: 3)])[0]
        let logits: [Float] = (0..<8).map { Float(-((($0 - 1) + 8) % 8)) }
        let logSum = log(logits.map { exp(Double($0)) }.reduce(0, +))
        let lp = result.logprobs[0]
        XCTAssertEqual(lp.id, 1)
        XCTAssertEqual(Double(lp.logprob), Double(logits[1]) - logSum, accuracy: 1e-6)
        XCTAssertEqual(lp.top?.map(\.id), [1, 2, 3])
    }

    func testSamplingIsReproducibleWithASeedAndTopKOneIsGreedy() {
        let logits: [Float] = [0.1, 2, 1.9, -1, 0.5, 1.95]
        func draw(_ p: SamplingParameters) -> [Int32] {
            var s = Sampler(p)
            return (0..<50).map { _ in s.next(logits: logits, history: []) }
        }
        let warm = SamplingParameters(temperature: 1.5, seed: 42)
        XCTAssertEqual(draw(warm), draw(warm))
        XCTAssertNotEqual(draw(warm), draw(SamplingParameters(temperature: 1.5, seed: 43)))
        XCTAssertGreaterThan(Set(draw(warm)).count, 3, "temperature 1.5 should visit several tokens")
        XCTAssertEqual(Set(draw(SamplingParameters(temperature: 1.5, topK: 1, seed: 1))), [1])
        XCTAssertEqual(Set(draw(SamplingParameters(temperature: 1, topP: 0.01, seed: 1))), [1])
        // min-p 0.9 keeps tokens within 10% of the best: 1 (2.0), 5 (1.95) and 2 (1.9)
        XCTAssertEqual(Set(draw(SamplingParameters(temperature: 1, minP: 0.9, seed: 1))), [1, 5, 2])
        XCTAssertEqual(Set(draw(SamplingParameters(temperature: 1, topK: 2, seed: 3))), [1, 5])
    }

    func testRepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        var s = Sampler(SamplingParameters(repetitionPenalty: 2))
        // Token 1 (2.0) halves to 1.0, below token 5 (1.95).
        XCTAssertEqual(s.next(logits: [0.1, 2, 1.9, -1, 0.5, 1.95], history: [1, 1]), 5)
        // Token 0 (-0.5) doubles to -1.0 and loses to token 1 (-0.9).
        XCTAssertEqual(s.next(logits: [-0.5, -0.9, -3], history: [0]), 1)
    }

    func testNonsenseSamplingParametersAreRejected() {
        XCTAssertThrowsError(try SamplingParameters(temperature: -1).validate())
        XCTAssertThrowsError(try SamplingParameters(topP: 0).validate())
        XCTAssertThrowsError(try SamplingParameters(minP: 1.5).validate())
        XCTAssertThrowsError(try SamplingParameters(repetitionPenalty: 0).validate())
    }
}
