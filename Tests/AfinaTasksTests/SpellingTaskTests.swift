// The spelling tasks (correction and detection): dictionary parsing, splits and files, on a committed sample of codespell's
// dictionary (Tests/Fixtures/data/codespell_sample.txt, lines of codespell 2.4.1).
import AfinaData
@testable import AfinaTasks
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

final class SpellingCheckTaskTests: XCTestCase {
    private typealias Pair = SpellingTask.Pair

    func testSplitKeepsEveryCorrectionOnOneSideAndBalancesLabels() throws {
        // 30 corrections, the even ones with two misspellings.
        let pairs = (0..<30).flatMap { i in
            [Pair(misspelling: "w\(i)x", correction: "w\(i)")] + (i % 2 == 0 ? [Pair(misspelling: "w\(i)y", correction: "w\(i)")] : [])
        }
        let split = try SpellingCheckTask.split(pairs, heldOutWords: 4, validationWords: 3, seed: 7)
        XCTAssertEqual([split.heldOut.count, split.validation.count], [8, 6])
        for part in [split.train, split.validation, split.heldOut] {
            XCTAssertEqual(part.filter { $0.label == "correct" }.count, part.filter { $0.label == "misspelled" }.count)
        }
        func stem(_ word: String) -> String { String(word.prefix { $0 != "x" && $0 != "y" }) }
        let held = Set(split.heldOut.map { stem($0.text) }), valid = Set(split.validation.map { stem($0.text) })
        let train = Set(split.train.map { stem($0.text) })
        XCTAssertEqual(held.count, 4)
        XCTAssertTrue(held.isDisjoint(with: train) && valid.isDisjoint(with: train) && held.isDisjoint(with: valid))
        XCTAssertEqual(train.count, 23)
        XCTAssertEqual(split.train.count, 2 * (pairs.count - split.heldOut.count / 2 - split.validation.count / 2
            - [held, valid].joined().filter { Int($0.dropFirst())! % 2 == 0 }.count))
        XCTAssertEqual(split, try SpellingCheckTask.split(pairs, heldOutWords: 4, validationWords: 3, seed: 7))
        XCTAssertThrowsError(try SpellingCheckTask.split(pairs, heldOutWords: 20, validationWords: 10, seed: 7)) {
            XCTAssertEqual("\($0)", "20 held-out + 10 validation words leave no training words of 30")
        }
    }

    func testDecoderQuestionsAnswerYesOrNoAndShotsAlternate() {
        let q = SpellingCheckTask.question(for: LabelledText(text: "recieve", label: "misspelled"))
        XCTAssertEqual(q.prompt, "Is the English word \"recieve\" spelled correctly? Answer yes or no.")
        XCTAssertEqual(q.reference, "no")
        XCTAssertEqual(SpellingCheckTask.question(for: LabelledText(text: "receive", label: "correct")).reference, "yes")
        let train = ["a": "misspelled", "b": "misspelled", "c": "misspelled", "d": "correct", "e": "correct"].sorted { $0.key < $1.key }
            .map { LabelledText(text: $0.key, label: $0.value) }
        XCTAssertEqual(SpellingCheckTask.fewShot(train, count: 4).map(\.text), ["a", "d", "b", "e"])
    }
}
