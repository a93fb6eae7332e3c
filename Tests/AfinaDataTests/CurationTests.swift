// Data curation: the gender audit, counterfactual augmentation, deduplication and
// decontamination, on small inline data and a tiny inline name table (no network). One test
// reads the real census lists when they are cached and skips otherwise.
@testable import AfinaData
import Foundation
import XCTest

final class CurationTests: XCTestCase {
    private let names = NameTable(male: ["James", "John", "Robert"], female: ["Mary", "Patricia", "Linda"])
    private var augmenter: CounterfactualAugmenter { CounterfactualAugmenter(lexicon: GenderLexicon(names: names)) }

    private func swapped(_ text: String) -> String { augmenter.swap(text).text }

    // MARK: augmentation

    func testSwapKeepsLowerCapitalizedAndUpperCase() {
        XCTAssertEqual(swapped("He said she would come."), "She said he would come.")
        XCTAssertEqual(swapped("HE IS THE KING, and the Queen agrees."), "SHE IS THE QUEEN, and the King agrees.")
        XCTAssertEqual(swapped("My father and MOTHER met Mr. Smith and Mrs. Jones."),
                       "My mother and FATHER met Ms. Smith and Mr. Jones.")
    }

    func testPossessivesAreKept() {
        XCTAssertEqual(swapped("John's sister borrowed the king's horse."), "Patricia's brother borrowed the queen's horse.")
        XCTAssertEqual(swapped("The women’s team and the men's team."), "The men’s team and the women's team.")
    }

    func testHerBecomesHisBeforeANounAndHimOtherwise() {
        XCTAssertEqual(swapped("I gave her book to her."), "I gave his book to him.")
        XCTAssertEqual(swapped("I gave her a pen and told her that her own car was fixed"),
                       "I gave him a pen and told him that his own car was fixed")
        XCTAssertEqual(swapped("We saw her yesterday with her new colleague."), "We saw him yesterday with his new colleague.")
        XCTAssertEqual(swapped("Ask her, then call her"), "Ask him, then call him")
    }

    func testHisBecomesHerBeforeANounAndHersOtherwise() {
        XCTAssertEqual(swapped("His car is red; the blue one is his."), "Her car is red; the blue one is hers.")
        XCTAssertEqual(swapped("The choice was his and nobody else's."), "The choice was hers and nobody else's.")
        XCTAssertEqual(swapped("Him and himself; hers and herself."), "Her and herself; his and himself.")
    }

    func testNamesSwapByFrequencyRank() {
        XCTAssertEqual(swapped("James met Patricia and ROBERT."), "Mary met John and LINDA.")
        XCTAssertEqual(names.counterpart(of: "linda"), "robert")
        // Past the end of the shorter list, the same relative rank: every name has a counterpart.
        let uneven = NameTable(male: ["Al", "Bo"], female: ["Cy", "Di", "Ed", "Flo", "Gus", "Hal"])
        XCTAssertEqual(uneven.female.map { uneven.counterpart(of: $0) }, ["al", "bo", "al", "bo", "bo", "bo"])
        XCTAssertEqual(uneven.male.map { uneven.counterpart(of: $0) }, ["cy", "di"])
        XCTAssertEqual(CounterfactualAugmenter(lexicon: GenderLexicon(names: uneven)).swap("Hal met Bo.").text, "Bo met Di.")
        // After a title a name is a surname, unless a capitalized word follows it.
        XCTAssertEqual(swapped("Mr. Robert and Dr. Mary Smith"), "Ms. Robert and Dr. James Smith")
        // Lower-case words and common words are never names.
        let table = NameTable(male: ["Will", "Mark", "Carl"], female: ["May", "Rose", "Ann"])
        XCTAssertEqual(CounterfactualAugmenter(lexicon: GenderLexicon(names: table)).swap("Will May mark Carl? carl").text,
                       "Will May mark Ann? carl")
    }

    func testTextWithoutGenderedWordsIsUnchangedAndNotDuplicated() throws {
        let plain = "The engineers shipped the release on time; everyone celebrated."
        XCTAssertEqual(augmenter.swap(plain).text, plain)
        XCTAssertEqual(augmenter.swap(plain).replaced, 0)
        let jsonl = """
            {"text": "\(plain)", "id": 1}
            {"messages": [{"role": "user", "content": "Who is she?"}, {"role": "assistant", "content": "Mary, his sister."}]}
            {"prompt": "Correct: teh", "completion": "the"}
            {"instruction": "Describe the nurse.", "input": "He is kind.", "output": "A kind man."}
            """
        let lines = try CurationLine.parse(Data(jsonl.utf8), file: "inline")
        let (output, summary) = try augmenter.augment(lines)
        XCTAssertEqual(summary, .init(records: 4, augmented: 2, unchanged: 2, replacedWords: 6))
        XCTAssertEqual(output.count, 6)
        XCTAssertEqual(output[0], lines[0].raw)
        let chat = try JSONSerialization.jsonObject(with: output[2]) as? [String: Any]
        let turns = (chat?["messages"] as? [[String: String]])?.map { $0["content"]! }
        XCTAssertEqual(turns, ["Who is he?", "James, her brother."])
        let alpaca = try JSONSerialization.jsonObject(with: output[5]) as? [String: String]
        XCTAssertEqual(alpaca, ["instruction": "Describe the nurse.", "input": "She is kind.", "output": "A kind woman."])
    }

    func testPairsJoinEachGenderedTextToItsSwappedCopyAndLeaveTheRestOut() throws {
        let augmenter = CounterfactualAugmenter(lexicon: GenderLexicon(names: .empty))
        let jsonl = """
            {"text": "He thanked his mother.", "label": "positive"}
            {"text": "A plain sentence."}
            {"text": "The actress and her son."}
            """
        let (output, summary) = try augmenter.pairs(try CurationLine.parse(Data(jsonl.utf8), file: "inline"), file: "inline")
        XCTAssertEqual(summary, .init(records: 3, augmented: 2, unchanged: 1, replacedWords: 6))
        let pairs = try output.map { try JSONSerialization.jsonObject(with: $0) as? [String: String] }
        XCTAssertEqual(pairs, [["anchor": "He thanked his mother.", "positive": "She thanked her father."],
                               ["anchor": "The actress and her son.", "positive": "The actor and his daughter."]])
        let chat = #"{"messages": [{"role": "user", "content": "Who is she?"}]}"#
        XCTAssertThrowsError(try augmenter.pairs(try CurationLine.parse(Data(chat.utf8), file: "chat.jsonl"), file: "chat.jsonl")) {
            XCTAssertEqual("\($0)", "chat.jsonl:1: pairs need {\"text\"} records")
        }
    }

    func testRealCensusListsWhenCached() throws {
        let source = PyPIDataFile.censusNames
        try XCTSkipUnless(source.isCached, "names \(source.version) is not in \(source.folder.path)")
        let table = try NameTable.census(source: source) { _ in }
        XCTAssertEqual(Array(table.male.prefix(3)), ["james", "john", "robert"])
        XCTAssertEqual(Array(table.female.prefix(3)), ["mary", "patricia", "linda"])
        XCTAssertEqual(table.gender(of: "man"), nil)
        let augmenter = CounterfactualAugmenter(lexicon: GenderLexicon(names: table))
        XCTAssertEqual(augmenter.swap("Michael thanked Jennifer.").text, "Barbara thanked David.")
        XCTAssertEqual(table.female.filter { table.counterpart(of: $0) == nil }, [], "every female name has a male counterpart")
    }

    // MARK: audit

    func testAuditCountsGenderedSentencesPerOccupation() {
        let occupations = Occupation.winoBias(pythonSource: """
            jobs = {
                "nurse": 90,
                "construction worker": 4,
                "secretary": 95,
            }
            """)
        XCTAssertEqual(occupations, [Occupation("nurse", referenceFemalePercent: 90),
                                     Occupation("construction worker", referenceFemalePercent: 4),
                                     Occupation("secretary", referenceFemalePercent: 95)])
        let audit = GenderAudit(lexicon: GenderLexicon(names: names), occupations: occupations)
        let report = audit.audit([
            ["The nurse said she was tired. Mr. Smith, a nurse, smiled at his colleague."],
            ["Two construction workers arrived. John is a construction worker and Mary is his sister!"],
            ["The secretaries met the nurses and their husbands."],
        ])
        XCTAssertEqual(report.records, 3)
        XCTAssertEqual(report.sentences, 5)
        XCTAssertEqual([report.maleSentences, report.femaleSentences, report.mixedSentences], [2, 1, 1])
        XCTAssertEqual(report.words["male"], ["pronoun": 2, "noun": 2, "name": 1])
        XCTAssertEqual(report.words["female"], ["pronoun": 1, "noun": 1, "name": 1])
        let nurse = report.occupations[0]
        XCTAssertEqual([nurse.sentences, nurse.male, nurse.female, nurse.mixed, nurse.unmarked], [3, 2, 1, 0, 0])
        XCTAssertEqual(nurse.femaleShare!, 1.0 / 3, accuracy: 1e-12)
        let worker = report.occupations[1]
        XCTAssertEqual([worker.sentences, worker.male, worker.female, worker.mixed, worker.unmarked], [2, 0, 0, 1, 1])
        XCTAssertNil(worker.femaleShare)
        XCTAssertEqual(report.occupations[2].sentences, 1)
    }

    func testAuditReadsACompletionAsTheRestOfItsPromptsSentence() throws {
        let lines = try CurationLine.parse(Data("""
            {"prompt": "Today the nurse,", "completion": " John"}
            {"messages": [{"role": "user", "content": "Name a nurse"}, {"role": "assistant", "content": "Mary"}]}
            """.utf8), file: "inline")
        XCTAssertEqual(lines[0].texts, ["Today the nurse,", " John"])
        XCTAssertEqual(lines[0].passages, ["Today the nurse, John"])
        XCTAssertEqual(lines[1].passages, lines[1].texts)
        let nurse = Occupation("nurse", referenceFemalePercent: 90)
        let report = GenderAudit(lexicon: GenderLexicon(names: names), occupations: [nurse]).audit(lines.map(\.passages))
        XCTAssertEqual([report.occupations[0].male, report.occupations[0].female, report.occupations[0].unmarked], [1, 0, 1])
    }

    func testSentencesDoNotEndAfterTitles() {
        XCTAssertEqual(WordScanner.sentences("Dr. Lee met Mrs. Park. Then he left!\nShe stayed").map { $0.joined(separator: " ") },
                       ["Dr Lee met Mrs Park", "Then he left", "She stayed"])
    }

    // MARK: dedupe and decontamination

    func testExactAndNearDuplicatesAreRemoved() {
        let base = "the quick brown fox jumps over the lazy dog near the river bank on a sunny morning in june while birds sing"
        let texts = [
            base,
            "The QUICK brown fox, jumps over the lazy dog near the river bank on a sunny morning in June while birds sing!",
            base + " loudly",
            "a completely different sentence about training small language models on two cores",
            base.replacingOccurrences(of: "fox", with: "cat"),
        ]
        let (kept, summary) = Deduplicator(threshold: 0.9).keep(texts)
        XCTAssertEqual(kept, [0, 3, 4])
        XCTAssertEqual(summary, .init(records: 5, kept: 3, exactDuplicates: 1, nearDuplicates: 1))
        XCTAssertEqual(Deduplicator(threshold: 0.5).keep(texts).kept, [0, 3])
        XCTAssertEqual(Deduplicator(threshold: 1.1).keep(texts).kept, [0, 2, 3, 4])
    }

    func testMinHashBandsCatchPairsAtTheThreshold() {
        let (bands, rows) = Deduplicator(threshold: 0.9).bandsAndRows()
        XCTAssertLessThanOrEqual(bands * rows, 128)
        XCTAssertGreaterThanOrEqual(1 - pow(1 - pow(0.9, Double(rows)), Double(bands)), 0.99)
        XCTAssertEqual(Shingles.jaccard(Shingles.of(["a", "b", "c", "d"]), Shingles.of(["a", "b", "c", "e"])), 1.0 / 3)
    }

    func testDecontaminationDropsRecordsSharingAnEvalNGram() throws {
        let eval = try CurationLine.parse(Data("""
            {"prompt": "Correct the spelling of this word: recieve", "reference": "receive"}
            {"prompt": "one two three four five six seven eight nine ten eleven twelve thirteen fourteen", "reference": "x"}
            """.utf8), file: "eval")
        let filter = Decontaminator(against: eval.flatMap(\.texts), n: 13)
        XCTAssertEqual(filter.ignoredShortTexts, 2)
        XCTAssertTrue(filter.isContaminated(["Correct the spelling of this word: RECIEVE", "receive"]))
        XCTAssertFalse(filter.isContaminated(["Correct the spelling of this word: acheive", "achieve"]))
        XCTAssertTrue(filter.isContaminated(["zero one two three four five six seven eight nine ten eleven twelve thirteen"]))
        XCTAssertFalse(filter.isContaminated(["one two three four five six seven eight nine ten eleven twelve"]))
    }
}
