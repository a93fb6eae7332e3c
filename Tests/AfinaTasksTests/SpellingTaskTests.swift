// The spelling task's dictionary parsing, split and files, on a committed sample of codespell's
// dictionary (Tests/Fixtures/data/codespell_sample.txt, lines of codespell 2.4.1).
import AfinaData
import AfinaTasks
import Foundation
import XCTest

final class SpellingTaskTests: XCTestCase {
    private typealias Pair = SpellingTask.Pair
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    func testOnlyPlainWordsWithOneCorrectionAreKept() throws {
        let text = try String(contentsOf: fixtures.appendingPathComponent("data/codespell_sample.txt"), encoding: .utf8)
        XCTAssertEqual(SpellingTask.pairs(fromDictionary: text).map { "\($0.misspelling)->\($0.correction)" }, [
            "aaccession->accession", "aack->ack", "recahed->reached", "recal->recall", "recalcualte->recalculate",
            "teh->the", "tey->they",
        ])
    }

    func testReasonsDuplicatesAndWindowsLineEndsAreHandled() {
        let text = "clas->class, disabled because of name clash in c++\r\nteh->the\r\nteh->ten\nsame->same\nMispell->misspell\n"
        XCTAssertEqual(SpellingTask.pairs(fromDictionary: text), [Pair(misspelling: "teh", correction: "the")])
    }

    func testSplitIsSeededDisjointAndComplete() throws {
        let pairs = (0..<50).map { Pair(misspelling: "w\($0)x", correction: "w\($0)") }
        let split = try SpellingTask.split(pairs, heldOut: 5, validation: 3, seed: 1)
        XCTAssertEqual([split.heldOut.count, split.validation.count, split.train.count], [5, 3, 42])
        XCTAssertEqual(Set(split.heldOut + split.validation + split.train), Set(pairs))
        XCTAssertEqual(split, try SpellingTask.split(pairs, heldOut: 5, validation: 3, seed: 1))
        XCTAssertNotEqual(split.heldOut, try SpellingTask.split(pairs, heldOut: 5, validation: 3, seed: 2).heldOut)
        XCTAssertThrowsError(try SpellingTask.split(pairs, heldOut: 40, validation: 10, seed: 1)) { error in
            XCTAssertEqual("\(error)", "40 held-out + 10 validation pairs leave no training pairs of 50")
        }
    }

    func testWrittenFilesAreTrainingRecordsAndTaskLines() throws {
        let split = SpellingTask.Split(train: [Pair(misspelling: "teh", correction: "the")],
                                       validation: [Pair(misspelling: "tey", correction: "they")],
                                       heldOut: [Pair(misspelling: "recal", correction: "recall")])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("afina-tasks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let written = try SpellingTask.write(split, into: directory, pairCount: 3)
        XCTAssertEqual(try TrainingRecord.load(from: written.train), [.messages([
            .init(role: "user", content: "Correct the spelling of this word: teh"), .init(role: "assistant", content: "the"),
        ])])
        XCTAssertEqual(try TrainingRecord.load(from: written.validation).count, 1)
        XCTAssertEqual(try String(contentsOf: written.heldOut, encoding: .utf8),
                       "{\"prompt\": \"Correct the spelling of this word: recal\", \"reference\": \"recall\"}\n")
    }

}
