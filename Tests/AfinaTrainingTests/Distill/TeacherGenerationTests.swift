// `afina distill generate`'s library: each answer filter rule and its count, prompt files and
// their errors, and the output file: a training file, each answer independent of its batch,
// resumed to the same bytes after an interruption, refused for other settings. A scripted
// teacher of yes/no answers repeats itself, so duplicates are dropped; SmolLM2 runs too when
// pulled.
import AfinaData
import AfinaHub
@testable import AfinaModels
import AfinaTemplates
import AfinaTensor
import XCTest
@testable import AfinaTraining

/// A teacher of short answers: after the prompt "yes" or "no" equally likely, then the end
/// token (id 2) with probability 0.79, so answers repeat.
final class YesNoModel: CausalLM, @unchecked Sendable {
    static let words = ["yes", "no"]
    let backend: any Backend = CPUBackend()
    /// 0 yes, 1 no, 2 stop; prompts are written with ids 3-5, so the model knows a prompt's
    /// end (however the generator splits the prompt) from a token it generated.
    let vocabularySize = 6
    let contextLength = 64
    func makeCache(slots: Int, capacity: Int) -> KVCache {
        KVCache(backend: backend, layers: 1, slots: slots, capacity: capacity, width: 1)
    }
    func logits(_ chunks: [SequenceChunk], cache: KVCache, allPositions: Bool) throws -> Tensor {
        let rows = chunks.map { chunk -> [Float] in
            cache.advance(slot: chunk.slot, by: chunk.tokens.count)
            return chunk.tokens.last! >= 3 ? [0, 0, -100, -100, -100, -100] : [0, 0, 2, -100, -100, -100]  // after the prompt, then
        }
        return backend.tensor(Array(rows.joined()), shape: [chunks.count, vocabularySize])
    }

    static var teacher: TeacherGeneration.Teacher {
        TeacherGeneration.Teacher(model: YesNoModel(), stopTokens: [2],
                                  encode: { $0.flatMap { Array($0.content.utf8).map { 3 + Int32($0) % 3 } } },
                                  decode: { $0.map { words[Int($0)] }.joined(separator: " ") })
    }
}

final class TeacherGenerationTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("afina-distill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try FileManager.default.removeItem(at: work) }

    let prompts = ["Name an animal.", "Say something.", "Name an animal.", "Describe a cat."].enumerated().map {
        TeacherPrompt(messages: [ChatMessage(role: "user", content: $1)], location: "p.jsonl:\($0 + 1)")
    }

    func settings(temperature: Float = 1) -> TeacherGeneration.Settings {
        TeacherGeneration.Settings(teacher: "yes-no", samples: 4, maxTokens: 4,
                                   sampling: SamplingParameters(temperature: temperature, seed: 7))
    }

    @discardableResult
    func generate(into name: String, _ settings: TeacherGeneration.Settings? = nil, batchSize: Int = 4,
                  limit: Int? = nil) throws -> TeacherGeneration.Progress {
        try TeacherGeneration(settings: settings ?? self.settings(), prompts: prompts, output: work.appendingPathComponent(name))
            .run(teacher: YesNoModel.teacher, batchSize: batchSize, limit: limit)
    }

    func contents(_ name: String) throws -> Data { try Data(contentsOf: work.appendingPathComponent(name)) }

    // MARK: - Filters

    let long = "cats are small furry animals that many people keep at home as pets today"    // 12 word 3-grams

    func testEachRuleDropsItsAnswersAndCountsThem() {
        let user = [ChatMessage(role: "user", content: "Tell me about cats.")]
        let sameUser = [ChatMessage(role: "user", content: "Tell me  about cats. ")]
        var filter = AnswerFilter(rules: AnswerFilter.Rules(minTokens: 2, maxTokens: 20))
        let verdicts = [
            filter.judge(prompt: user, answer: " \n ", tokens: 2, truncated: false),
            filter.judge(prompt: user, answer: "cats purr", tokens: 5, truncated: true),
            filter.judge(prompt: user, answer: "Cats", tokens: 1, truncated: false),
            filter.judge(prompt: user, answer: "cats purr", tokens: 21, truncated: false),
            filter.judge(prompt: user, answer: long, tokens: 14, truncated: false),
            filter.judge(prompt: user, answer: " cats are  small furry animals that many people keep at home as pets\ttoday ",
                         tokens: 15, truncated: false),
            // 12 of 15 3-grams shared with the first kept answer: Jaccard 0.8.
            filter.judge(prompt: user, answer: long + " and they purr", tokens: 17, truncated: false),
            // 15 of 16 shared with the last one: 0.94.
            filter.judge(prompt: user, answer: long + " and they purr softly", tokens: 18, truncated: false),
            // Case is ignored: the same 3-grams.
            filter.judge(prompt: user, answer: long.uppercased(), tokens: 14, truncated: false),
            filter.judge(prompt: sameUser, answer: long, tokens: 14, truncated: false),
            filter.judge(prompt: [ChatMessage(role: "user", content: "Dogs?")], answer: long, tokens: 14, truncated: false),
        ]
        XCTAssertEqual(verdicts, [.empty, .truncated, .tooShort, .tooLong, .kept, .duplicate, .kept, .nearDuplicate,
                                  .nearDuplicate, .duplicate, .kept])
        var expected = AnswerFilter.Counts()
        (expected.generated, expected.kept, expected.empty, expected.truncated) = (11, 3, 1, 1)
        (expected.tooShort, expected.tooLong, expected.duplicate, expected.nearDuplicate) = (1, 1, 2, 2)
        XCTAssertEqual(filter.counts, expected)
        XCTAssertEqual(filter.counts.summary,
                       "11 generated, 3 kept; dropped: 1 empty, 1 truncated, 1 too short, 1 too long, 2 duplicate, 2 near-duplicate")
    }

    func testTruncatedAnswersAreKeptWhenAskedAndTheThresholdIsInclusive() {
        var filter = AnswerFilter(rules: AnswerFilter.Rules(keepTruncated: true, nearDuplicateJaccard: 0.8))
        let user = [ChatMessage(role: "user", content: "Go on.")]
        XCTAssertEqual(filter.judge(prompt: user, answer: long, tokens: 14, truncated: true), .kept)
        XCTAssertEqual(filter.judge(prompt: user, answer: long + " and they purr", tokens: 17, truncated: true), .nearDuplicate)
        XCTAssertEqual(Shingles.jaccard(AnswerFilter.shingles("a b c d"), AnswerFilter.shingles("A  b c")), 0.5)
        XCTAssertThrowsError(try AnswerFilter.Rules(nearDuplicateJaccard: 0).validate())
        XCTAssertThrowsError(try AnswerFilter.Rules(minTokens: 4, maxTokens: 3).validate())
    }

    // MARK: - Prompt files

    func testPromptFilesTakePromptsOrChatsUpToTheLastUserTurn() throws {
        let jsonl = """
            {"prompt": "Hi", "completion": "ignored"}

            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "A?"}, \
            {"role": "assistant", "content": "B."}, {"role": "user", "content": "C?"}, {"role": "assistant", "content": "D."}]}
            """
        let parsed = try TeacherPrompt.parse(jsonl: Data(jsonl.utf8), file: "p.jsonl")
        XCTAssertEqual(parsed.map(\.location), ["p.jsonl:1", "p.jsonl:3"])
        XCTAssertEqual(parsed[0].messages, [ChatMessage(role: "user", content: "Hi")])
        XCTAssertEqual(parsed[1].messages.map(\.content), ["Be brief.", "A?", "B.", "C?"])
    }

    func testAMalformedPromptLineIsNamedByFileAndLine() {
        let cases = [
            ("{\"prompt\": \"ok\"}\n{\"prompt\": \"ok\"\n", "p.jsonl:2: invalid JSON"),
            ("\n\n[1]", "p.jsonl:3: expected a JSON object"),
            ("{\"prompt\": \"\"}", "p.jsonl:1: \"prompt\" must be a non-empty string"),
            ("{\"prompt\": \"a\", \"messages\": []}", "p.jsonl:1: both \"prompt\" and \"messages\"; use one"),
            ("{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}",
             "p.jsonl:1: no user turn in \"messages\" (nothing to answer)"),
            ("{\"messages\": [{\"role\": \"user\"}]}", "p.jsonl:1: messages[0] must be an object with string \"role\" and \"content\""),
            ("{\"text\": \"a\"}", "p.jsonl:1: expected \"prompt\" or \"messages\" (keys: text)"),
        ]
        for (jsonl, message) in cases {
            XCTAssertThrowsError(try TeacherPrompt.parse(jsonl: Data(jsonl.utf8), file: "p.jsonl")) {
                XCTAssertEqual("\($0)", message)
            }
        }
    }

    func testAPromptLongerThanTheContextIsNamed() {
        let prompt = TeacherPrompt(messages: [ChatMessage(role: "user", content: String(repeating: "a", count: 64))],
                                   location: "p.jsonl:9")
        XCTAssertThrowsError(try TeacherGeneration(settings: settings(), prompts: [prompt], output: work.appendingPathComponent("o.jsonl"))
            .run(teacher: YesNoModel.teacher)) {
            XCTAssertEqual("\($0)", "p.jsonl:9: the prompt has 64 tokens; the teacher's context holds 64")
        }
    }

    // MARK: - The output file

    func testTheOutputIsATrainingFileWithMetaPerAnswer() throws {
        let progress = try generate(into: "all.jsonl")
        XCTAssertEqual(progress.total, 16)
        XCTAssertEqual(progress.done, 16)
        XCTAssertGreaterThan(progress.counts.kept, 0)
        XCTAssertGreaterThan(progress.counts.duplicate, 0, "the scripted teacher should repeat itself")
        let records = try TrainingRecord.parse(jsonl: try contents("all.jsonl"), file: "all.jsonl")
        XCTAssertEqual(records.count, progress.counts.kept)
        let lines = String(decoding: try contents("all.jsonl"), as: UTF8.self).split(separator: "\n")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        for (record, line) in zip(records, lines) {
            let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertEqual((json?["meta"] as? [String: Any])?.keys.sorted(), [
                "answer_tokens", "finish_reason", "max_tokens", "min_p", "prompt_index", "repetition_penalty", "sample",
                "seed", "teacher", "temperature", "top_k", "top_p"])
            let meta = try decoder.decode(TeacherGeneration.Record.self, from: Data(line.utf8)).meta
            guard case .messages(let turns) = record else { return XCTFail("not a chat record: \(line)") }
            XCTAssertEqual(Array(turns.dropLast()), prompts[meta.promptIndex].messages)
            XCTAssertEqual(turns.last?.role, "assistant")
            XCTAssertEqual(meta.seed, TeacherGeneration.seed(base: 7, prompt: meta.promptIndex, sample: meta.sample))
            XCTAssertEqual(meta.teacher, "yes-no")
            XCTAssertEqual(meta.maxTokens, 4)
            XCTAssertEqual(meta.temperature, 1)
            XCTAssertEqual(meta.finishReason, "stop")
        }
    }

    func testAnAnswerDoesNotDependOnItsBatch() throws {
        try generate(into: "one.jsonl", batchSize: 1)
        try generate(into: "seven.jsonl", batchSize: 7)
        XCTAssertEqual(try contents("one.jsonl"), try contents("seven.jsonl"))
    }

    func testAnInterruptedRunResumesToTheSameBytes() throws {
        let whole = try generate(into: "whole.jsonl")
        var stopped = try generate(into: "part.jsonl", limit: 6)
        XCTAssertEqual(stopped.done, 6)
        XCTAssertGreaterThan(whole.counts.duplicate, stopped.counts.duplicate, "no duplicates to find after the stop")
        // Killed while writing its next batch: half a record at the end.
        let part = try FileHandle(forWritingTo: work.appendingPathComponent("part.jsonl"))
        try part.seekToEnd()
        try part.write(contentsOf: Data("{\"messages\":[{\"content\":\"Name an".utf8))
        try part.close()
        stopped = try generate(into: "part.jsonl", batchSize: 3)
        XCTAssertEqual(stopped.resumedAt, 6)
        XCTAssertEqual(stopped.counts, whole.counts)
        XCTAssertEqual(try contents("part.jsonl"), try contents("whole.jsonl"))
        let again = try generate(into: "part.jsonl")
        XCTAssertEqual(again.resumedAt, 16, "a finished file has nothing left to do")
        XCTAssertEqual(try contents("part.jsonl"), try contents("whole.jsonl"))
    }

    func testARerunWithOtherSettingsOrPromptsIsRefused() throws {
        try generate(into: "out.jsonl", limit: 2)
        XCTAssertThrowsError(try generate(into: "out.jsonl", settings(temperature: 0.5))) {
            XCTAssertTrue("\($0)".contains("other settings (temperature: 1.0 then, 0.5 now)"), "\($0)")
        }
        XCTAssertThrowsError(try TeacherGeneration(settings: settings(), prompts: Array(prompts.dropLast()),
                                                   output: work.appendingPathComponent("out.jsonl"))
            .run(teacher: YesNoModel.teacher)) {
            XCTAssertTrue("\($0)".contains("prompts: 4 prompts"), "\($0)")
        }
        try Data("{\"text\": \"mine\"}\n".utf8).write(to: work.appendingPathComponent("theirs.jsonl"))
        XCTAssertThrowsError(try generate(into: "theirs.jsonl")) {
            XCTAssertTrue("\($0)".contains("was not written by `afina distill generate`"), "\($0)")
        }
    }

    func testShotsAreShownToTheTeacherButLeftOutOfTheRecords() throws {
        final class Seen { var prompts: [[ChatMessage]] = [] }
        let seen = Seen()
        var teacher = YesNoModel.teacher
        let encode = teacher.encode
        teacher.encode = { seen.prompts.append($0); return try encode($0) }
        let records: [TrainingRecord] = [.messages([ChatMessage(role: "system", content: "Be brief."),
                                                    ChatMessage(role: "user", content: "Name a bird."),
                                                    ChatMessage(role: "assistant", content: "yes")])]
        let shots = try TrainingRecord.exampleTurns(records, file: "shots.jsonl")
        XCTAssertEqual(shots.map(\.role), ["user", "assistant"], "a shot's system turn is dropped")
        var withShots = settings()
        withShots.shots = shots
        try TeacherGeneration(settings: withShots, prompts: prompts, output: work.appendingPathComponent("out.jsonl"))
            .run(teacher: teacher)
        XCTAssertEqual(seen.prompts, prompts.map { shots + $0.messages })
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        for line in String(decoding: try contents("out.jsonl"), as: UTF8.self).split(separator: "\n") {
            let record = try decoder.decode(TeacherGeneration.Record.self, from: Data(line.utf8))
            XCTAssertEqual(record.messages.dropLast().map(\.content), prompts[record.meta.promptIndex].messages.map(\.content))
            XCTAssertEqual(record.meta.shots, 1)
        }
        XCTAssertThrowsError(try generate(into: "out.jsonl")) {
            XCTAssertTrue("\($0)".contains("shots"), "resuming without the shots: \($0)")
        }
        XCTAssertThrowsError(try TrainingRecord.exampleTurns([.text("no answer")], file: "shots.jsonl")) {
            XCTAssertEqual("\($0)", "shots.jsonl: record 1 has no answer to show as an example")
        }
    }

    /// The same batch size: a real model's logits round differently for few and many rows.
    func testSmolLM2AnswersResumeToTheSameFile() throws {
        guard ModelStore.standard().pulledFile(ModelCatalog.entry(named: "smollm2-135m-instruct")!) != nil else {
            throw XCTSkip("run `afina pull smollm2-135m-instruct` first (scripts/test.sh does)")
        }
        let teacher = TeacherGeneration.Teacher(try ModelLoader.load("smollm2-135m-instruct"))
        let questions = ["What is the capital of France?", "Name a color.", "Correct the spelling of this word: recieve"]
        let generation = { (name: String) in
            TeacherGeneration(
                settings: TeacherGeneration.Settings(teacher: "smollm2-135m-instruct", samples: 2, maxTokens: 8,
                                                     sampling: SamplingParameters(temperature: 0.8, topP: 0.95, seed: 3),
                                                     filter: AnswerFilter.Rules(keepTruncated: true)),
                prompts: questions.map { TeacherPrompt(messages: [ChatMessage(role: "user", content: $0)], location: "q") },
                output: self.work.appendingPathComponent(name))
        }
        let whole = try generation("whole.jsonl").run(teacher: teacher, batchSize: 4)
        try generation("part.jsonl").run(teacher: teacher, batchSize: 4, limit: 4)
        let resumed = try generation("part.jsonl").run(teacher: teacher, batchSize: 4)
        XCTAssertEqual(resumed.resumedAt, 4)
        XCTAssertGreaterThan(whole.counts.kept, 2)
        XCTAssertEqual(resumed.counts, whole.counts)
        XCTAssertEqual(try contents("part.jsonl"), try contents("whole.jsonl"))
    }
}
