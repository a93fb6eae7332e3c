// Sequence-level distillation data (Kim and Rush 2016): a teacher answers prompts and its
// answers become a chat training file. Prompts are read from JSONL ({"prompt": ...} or
// {"messages": [...]}); each answer is sampled with its own seed (from the base seed, prompt
// index and sample index), so it does not depend on which answers share its batch, up to
// float rounding: the CPU kernels round a product of few rows (decoding 4 sequences or fewer)
// differently from one of many, which can flip a rare sampled token, so the same batch size
// gives the same bytes and another one may not. Records are appended as batches finish, and
// `<out>.progress.json` records the settings, how many answers are done and the file's length
// after them: a rerun truncates the output to that length (dropping a half-written line),
// continues from the same batch boundaries, and refuses other settings.
// Under mpirun the ranks generate whole batches in turn, the batches one process would, so
// each answer rounds as it would there; rank 0 judges and writes them all in order: the same
// bytes and progress file as one process.
import AfinaData
import AfinaDistributed
import AfinaModels
import AfinaTemplates
import Foundation

public struct TeacherGeneration: Sendable {
    /// Everything that decides the output file, but for the batch size's float rounding.
    public struct Settings: Sendable, Equatable {
        /// The teacher's model spec, as given (recorded in each record's meta).
        public var teacher: String
        /// Answers per prompt.
        public var samples = 1
        /// Most tokens generated per answer.
        public var maxTokens = 256
        /// Sampling; its seed is the base from which each answer's seed is derived.
        public var sampling = SamplingParameters()
        public var filter = AnswerFilter.Rules()
        /// Solved example turns the teacher sees before every prompt and the written records
        /// leave out (context distillation: the student learns to answer without them).
        public var shots: [ChatMessage] = []

        public init(teacher: String, samples: Int = 1, maxTokens: Int = 256,
                    sampling: SamplingParameters = .init(), filter: AnswerFilter.Rules = .init(),
                    shots: [ChatMessage] = []) {
            self.teacher = teacher
            self.samples = samples
            self.maxTokens = maxTokens
            self.sampling = sampling
            self.filter = filter
            self.shots = shots
        }

        public func validate() throws {
            guard samples > 0 else { throw TrainingError.invalidSetup("samples must be positive, got \(samples)") }
            guard maxTokens > 0 else { throw TrainingError.invalidSetup("max tokens must be positive, got \(maxTokens)") }
            try sampling.validate()
            try filter.validate()
        }

        /// The settings as the progress file stores them, compared on resume.
        var identity: [String: String] {
            let s = sampling, f = filter
            var identity = ["teacher": teacher, "samples": "\(samples)", "max_tokens": "\(maxTokens)",
                    "temperature": "\(s.temperature)", "top_k": "\(s.topK)", "top_p": "\(s.topP)", "min_p": "\(s.minP)",
                    "repetition_penalty": "\(s.repetitionPenalty)", "seed": "\(s.seed)",
                    "keep_truncated": "\(f.keepTruncated)", "min_answer_tokens": "\(f.minTokens)",
                    "max_answer_tokens": f.maxTokens.map(String.init) ?? "none",
                    "near_duplicate_jaccard": "\(f.nearDuplicateJaccard)"]
            if !shots.isEmpty { identity["shots"] = TeacherGeneration.fingerprint([shots]) }
            return identity
        }
    }

    /// A model that answers chats: how to render a conversation into ids, and ids into text.
    public struct Teacher: @unchecked Sendable {
        public var model: any CausalLM
        public var stopTokens: Set<Int32>
        public var encode: ([ChatMessage]) throws -> [Int32]
        public var decode: ([Int32]) -> String

        public init(model: any CausalLM, stopTokens: Set<Int32>, encode: @escaping ([ChatMessage]) throws -> [Int32],
                    decode: @escaping ([Int32]) -> String) {
            self.model = model
            self.stopTokens = stopTokens
            self.encode = encode
            self.decode = decode
        }

        /// A loaded model answering through its own chat template.
        public init(_ loaded: LoadedModel) {
            self.init(model: loaded.model, stopTokens: loaded.stopTokens,
                      encode: { loaded.tokenizer.encode(try loaded.renderChat($0, addGenerationPrompt: true), addSpecial: false) },
                      decode: { loaded.tokenizer.decode($0) })
        }
    }

    public struct Progress: Sendable, Equatable {
        /// Answers to generate in all: prompts x samples.
        public var total: Int
        /// Answers already generated when this run started (by an interrupted run).
        public var resumedAt: Int
        /// Counts over all runs into this file.
        public var counts: AnswerFilter.Counts
        /// Answers generated so far.
        public var done: Int { counts.generated }
    }

    public let settings: Settings
    public let prompts: [TeacherPrompt]
    /// The JSONL training file written.
    public let output: URL
    /// Where progress is kept: `<output>.progress.json`.
    public var progressFile: URL { URL(fileURLWithPath: output.path + ".progress.json") }

    public init(settings: Settings, prompts: [TeacherPrompt], output: URL) {
        self.settings = settings
        self.prompts = prompts
        self.output = output
    }

    /// The seed of answer `sample` to prompt `prompt`: a SplitMix64 hash chain, so it depends
    /// on nothing else (not on the batch the answer is generated in).
    public static func seed(base: UInt64, prompt: Int, sample: Int) -> UInt64 {
        func mix(_ x: UInt64) -> UInt64 {
            var generator = SplitMix64(seed: x)
            return generator.next()
        }
        return mix(mix(mix(base) ^ UInt64(prompt)) ^ UInt64(sample))
    }

    /// Generates the answers not yet in the output, `batchSize` sequences at a time, appending
    /// the kept ones and recording progress after each batch. `limit` stops after that many
    /// more answers (for tests of resuming). `progress` is called after each batch. With a
    /// `group`, rank 0 writes and reports; the other ranks return a progress without counts.
    @discardableResult
    public func run(teacher: Teacher, batchSize: Int = 16, limit: Int? = nil, group: ProcessGroup? = nil,
                    progress: ((Progress) -> Void)? = nil) throws -> Progress {
        try settings.validate()
        guard batchSize > 0 else { throw TrainingError.invalidSetup("batch size must be positive, got \(batchSize)") }
        let encoded = try prompts.map { prompt in
            let ids: [Int32]
            do { ids = try teacher.encode(prompt.messages.withExamples(settings.shots)) } catch { throw DataError("\(prompt.location): \(error)") }
            guard ids.count < teacher.model.contextLength else {
                throw DataError("\(prompt.location): the prompt has \(ids.count) tokens; the teacher's context holds \(teacher.model.contextLength)")
            }
            return ids
        }
        let writes = group?.isRoot ?? true
        var (state, filter) = writes ? try resume()
            : (State(settings: [:], done: 0, bytes: 0, counts: .init()), AnswerFilter(rules: settings.filter))
        let handle = writes ? try FileHandle(forWritingTo: output) : nil
        defer { try? handle?.close() }
        try handle?.truncate(atOffset: UInt64(state.bytes))
        try handle?.seekToEnd()
        if let group { state.done = group.broadcast(state.done) }

        let total = prompts.count * settings.samples
        var report = Progress(total: total, resumedAt: state.done, counts: state.counts)
        let end = min(total, state.done + (limit ?? total))
        let generator = Generator(model: teacher.model, decode: teacher.decode)
        while state.done < end {
            // The next batch for each rank (one process: the next batch).
            let batches = (0..<(group?.size ?? 1)).map { k in
                let start = min(end, state.done + k * batchSize)
                return start..<min(end, start + batchSize)
            }
            let answers = try generate(batches[group?.rank ?? 0], encoded: encoded, teacher: teacher, generator: generator)
            let gathered = try group?.allGather(encoding: answers) ?? [answers]
            for (batch, answers) in zip(batches, gathered) where writes && !batch.isEmpty {
                var lines = Data()
                for (offset, answer) in answers.enumerated() {
                    let (prompt, sample) = (batch.lowerBound + offset).quotientAndRemainder(dividingBy: settings.samples)
                    let verdict = filter.judge(prompt: prompts[prompt].messages, answer: answer.text, tokens: answer.tokens,
                                               truncated: answer.finishReason == .length)
                    guard verdict == .kept else { continue }
                    lines += try record(prompt: prompt, sample: sample, answer: answer)
                    lines.append(UInt8(ascii: "\n"))
                }
                try handle?.write(contentsOf: lines)
                try handle?.synchronize()
                state.done = batch.upperBound
                state.bytes += lines.count
                state.counts = filter.counts
                try save(state)
                report.counts = state.counts
                progress?(report)
            }
            state.done = batches.last!.upperBound
        }
        return report
    }

    /// One generated answer, as rank 0 needs it to judge and write it.
    struct Answer: Codable {
        var text: String
        /// Answer tokens, without the end-of-turn token.
        var tokens: Int
        var seed: UInt64
        var finishReason: GenerationResult.FinishReason
    }

    /// The answers numbered `answers` (prompt-major: prompt * samples + sample), generated together.
    private func generate(_ answers: Range<Int>, encoded: [[Int32]], teacher: Teacher, generator: Generator) throws -> [Answer] {
        guard !answers.isEmpty else { return [] }
        let requests = answers.map { answer in
            let (prompt, sample) = answer.quotientAndRemainder(dividingBy: settings.samples)
            var sampling = settings.sampling
            sampling.seed = Self.seed(base: settings.sampling.seed, prompt: prompt, sample: sample)
            return GenerationRequest(prompt: encoded[prompt], maxTokens: settings.maxTokens, sampling: sampling,
                                     stopTokens: teacher.stopTokens)
        }
        return try zip(requests, generator.generate(requests)).map { request, result in
            Answer(text: result.text, tokens: result.ids.count - (result.ids.last.map(teacher.stopTokens.contains) == true ? 1 : 0),
                   seed: request.sampling.seed, finishReason: result.finishReason)
        }
    }

    // MARK: - Records and progress

    /// One line of the output: a chat record `afina train` reads, its meta ignored by training.
    struct Record: Codable {
        struct Turn: Codable {
            var role: String
            var content: String
        }
        struct Meta: Codable {
            var teacher: String
            var promptIndex: Int
            var sample: Int
            /// The seed this answer was sampled with (`afina generate --seed` takes it).
            var seed: UInt64
            var temperature: Float
            var topP: Float
            var topK: Int
            var minP: Float
            var repetitionPenalty: Float
            var maxTokens: Int
            /// Answer tokens, without the end-of-turn token.
            var answerTokens: Int
            var finishReason: String
            /// Solved examples the teacher saw before the prompt (absent when none).
            var shots: Int?
        }
        var messages: [Turn]
        var meta: Meta
    }

    private func record(prompt: Int, sample: Int, answer: Answer) throws -> Data {
        let s = settings.sampling
        let turns = (prompts[prompt].messages + [ChatMessage(role: "assistant", content: answer.text)])
            .map { Record.Turn(role: $0.role, content: $0.content) }
        let meta = Record.Meta(teacher: settings.teacher, promptIndex: prompt, sample: sample, seed: answer.seed,
                               temperature: s.temperature, topP: s.topP, topK: s.topK, minP: s.minP,
                               repetitionPenalty: s.repetitionPenalty, maxTokens: settings.maxTokens,
                               answerTokens: answer.tokens, finishReason: answer.finishReason.rawValue,
                               shots: settings.shots.isEmpty ? nil : settings.shots.count { $0.role == "assistant" })
        return try Self.encoder.encode(Record(messages: turns, meta: meta))
    }

    /// What `<output>.progress.json` holds.
    struct State: Codable {
        /// `Settings.identity` plus a fingerprint of the prompts.
        var settings: [String: String]
        /// Answers generated (kept or not), in prompt-major order.
        var done: Int
        /// Length of the output after their kept records.
        var bytes: Int
        var counts: AnswerFilter.Counts
    }

    /// The state to continue from, with the filter remembering the answers already kept;
    /// creates the output and its progress file when starting fresh.
    private func resume() throws -> (State, AnswerFilter) {
        let fm = FileManager.default
        let identity = settings.identity.merging(["prompts": Self.fingerprint(prompts.map(\.messages))]) { $1 }
        let fresh = State(settings: identity, done: 0, bytes: 0, counts: .init())
        var filter = AnswerFilter(rules: settings.filter)
        let existing = fm.contents(atPath: output.path)
        guard let existing, let saved = fm.contents(atPath: progressFile.path) else {
            guard existing?.isEmpty ?? true else {
                throw TrainingError.invalidSetup("\(output.path) exists but has no \(progressFile.lastPathComponent), "
                    + "so it was not written by `afina distill generate`; choose another output or remove the file")
            }
            try fm.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
            try save(fresh)
            guard fm.createFile(atPath: output.path, contents: nil) else {
                throw TrainingError.invalidSetup("cannot create \(output.path)")
            }
            return (fresh, filter)
        }
        let state: State
        do { state = try JSONDecoder().decode(State.self, from: saved) } catch {
            throw TrainingError.invalidSetup("\(progressFile.path) is unreadable (\(error)); remove it and \(output.path) to start over")
        }
        let changed = Set(identity.keys).union(state.settings.keys).sorted().filter { identity[$0] != state.settings[$0] }
        guard changed.isEmpty else {
            let differences = changed.map { "\($0): \(state.settings[$0] ?? "unset") then, \(identity[$0] ?? "unset") now" }
            throw TrainingError.invalidSetup("\(output.path) was generated with other settings ("
                + differences.joined(separator: "; ") + "); rerun with the same settings to resume, or choose another output")
        }
        guard existing.count >= state.bytes else {
            throw TrainingError.invalidSetup("\(output.path) is shorter than \(progressFile.lastPathComponent) records "
                + "(\(existing.count) < \(state.bytes) bytes); remove both to start over")
        }
        for (index, line) in existing.prefix(state.bytes).split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let record = try? Self.decoder.decode(Record.self, from: Data(line)), let answer = record.messages.last else {
                throw TrainingError.invalidSetup("\(output.path):\(index + 1): not a record `afina distill generate` wrote; "
                    + "remove the file and \(progressFile.lastPathComponent) to start over")
            }
            filter.remember(prompt: record.messages.dropLast().map { ChatMessage(role: $0.role, content: $0.content) },
                            answer: answer.content)
        }
        filter.counts = state.counts
        return (state, filter)
    }

    /// Written with plain coders: a snake-case key strategy would also rename the settings' keys.
    private func save(_ state: State) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(state).write(to: progressFile, options: .atomic)
    }

    /// The conversation count and an FNV-1a hash of every turn, so a changed file is noticed.
    static func fingerprint(_ conversations: [[ChatMessage]]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        for conversation in conversations {
            for turn in conversation { mix(turn.role + "\u{1}" + turn.content + "\u{2}") }
            mix("\u{3}")                                    // ends a conversation
        }
        return "\(conversations.count) prompts, FNV-1a \(String(hash, radix: 16))"
    }

    /// Coders of the output's records.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}
