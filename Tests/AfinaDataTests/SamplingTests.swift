// Seeded shuffling, the train/validation split and the resumable batch sampler.
import AfinaData
import Foundation
import XCTest

final class SamplingTests: XCTestCase {
    func testSplitMix64MatchesTheReferenceOutputs() {
        var generator = SplitMix64(seed: 0)
        XCTAssertEqual((0..<3).map { _ in generator.next() }, [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }

    func testPermutationIsFixedBySeed() {
        // Values from a Python transcription of SplitMix64 + Lemire + Fisher-Yates.
        XCTAssertEqual(SplitMix64.permutation(count: 10, seed: 42), [8, 3, 6, 5, 4, 0, 9, 2, 1, 7])
        XCTAssertEqual(SplitMix64.permutation(count: 10, seed: 43), [4, 9, 2, 1, 6, 0, 8, 3, 5, 7])
    }

    func testSplitHoldsOutASeededDisjointShare() {
        let split = DataSplit(count: 100, validationFraction: 0.1, seed: 7)
        XCTAssertEqual(split.validation.count, 10)
        XCTAssertEqual((split.train + split.validation).sorted(), Array(0..<100))
        XCTAssertEqual(split, DataSplit(count: 100, validationFraction: 0.1, seed: 7))
        XCTAssertNotEqual(split.validation, DataSplit(count: 100, validationFraction: 0.1, seed: 8).validation)
        XCTAssertEqual(DataSplit(count: 5, validationFraction: 0.01, seed: 0).validation.count, 1)
        XCTAssertEqual(DataSplit(count: 1, validationFraction: 0.5, seed: 0).train, [0])
        XCTAssertEqual(DataSplit(count: 5, validationFraction: 0, seed: 0).train, Array(0..<5))
    }

    func testEveryEpochDrawsEachExampleOnceInItsOwnOrder() {
        var sampler = BatchSampler(count: 6, seed: 3)
        let first = (0..<3).flatMap { _ in sampler.next(batchSize: 2) }
        XCTAssertEqual(sampler.epochsCompleted, 1)
        let second = (0..<3).flatMap { _ in sampler.next(batchSize: 2) }
        XCTAssertEqual(first, BatchSampler.order(count: 6, seed: 3, epoch: 0))
        XCTAssertEqual(second, BatchSampler.order(count: 6, seed: 3, epoch: 1))
        XCTAssertEqual(first.sorted(), Array(0..<6))
        XCTAssertNotEqual(first, second)
    }

    func testAShortEpochTailIsFilledFromTheNextEpoch() {
        var sampler = BatchSampler(count: 5, seed: 11)
        let batches = (0..<3).map { _ in sampler.next(batchSize: 2) }
        XCTAssertEqual(batches.map(\.count), [2, 2, 2])
        XCTAssertEqual(Array(batches.joined()), BatchSampler.order(count: 5, seed: 11, epoch: 0)
            + BatchSampler.order(count: 5, seed: 11, epoch: 1).prefix(1))
        XCTAssertEqual(sampler.epoch, 1)
        XCTAssertEqual(sampler.position, 1)
    }

    func testAResumedSamplerContinuesTheSameSequence() throws {
        var uninterrupted = BatchSampler(count: 7, seed: 99)
        let expected = (0..<10).map { _ in uninterrupted.next(batchSize: 3) }

        var sampler = BatchSampler(count: 7, seed: 99)
        var drawn = (0..<4).map { _ in sampler.next(batchSize: 3) }
        let saved = try JSONEncoder().encode(sampler)
        var resumed = try JSONDecoder().decode(BatchSampler.self, from: saved)
        XCTAssertEqual(resumed, sampler)
        drawn += (0..<6).map { _ in resumed.next(batchSize: 3) }
        XCTAssertEqual(drawn, expected)
        XCTAssertEqual(resumed, uninterrupted)
    }

    func testDecodingRejectsAStateOutOfRange() {
        let json = Data("{\"count\": 4, \"seed\": 1, \"epoch\": 0, \"position\": 4}".utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(BatchSampler.self, from: json))
    }

    func testNoExamplesGiveEmptyBatches() {
        var sampler = BatchSampler(count: 0, seed: 0)
        XCTAssertEqual(sampler.next(batchSize: 4), [])
    }
}
