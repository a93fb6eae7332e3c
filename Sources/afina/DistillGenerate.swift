// afina distill generate: a teacher answers prompts; its answers become a chat training file.
import AfinaData
import AfinaDistributed
import AfinaModels
import AfinaTemplates
import AfinaTraining
import ArgumentParser
import Foundation

struct DistillGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Answer prompts with a teacher model and write the answers as a chat training file.",
        discussion: """
            Prompts are JSONL, one {"prompt": "..."} or {"messages": [...]} per line (the teacher answers \
            after the last user turn; later turns are dropped, so a training file works as a prompt file). \
            Each kept answer is written as {"messages": [...prompt turns, {"role": "assistant", ...}], \
            "meta": {...}}, which `afina train` reads directly (data.train: OUT).
            Each answer is sampled with its own seed (meta.seed), derived from --seed, the prompt's index \
            and the sample's index, so it does not depend on the other answers in its batch, up to float \
            rounding: the CPU kernels round few and many rows differently, so another --batch-size can \
            change a rare token. The same command writes the same file.
            Records are appended after every batch and OUT.progress.json records how far the run got: \
            rerunning the same command resumes (a half-written last line is regenerated) and gives the \
            file an unbroken run would have; other settings are refused.
            --shots FILE (context distillation): the solved examples of FILE (chat records ending with an \
            answer, or any training shape) go before every prompt the teacher answers, and are left out of \
            the written records, so the student learns to answer as the prompted teacher does without them.
            Answers are dropped when empty, cut off at --max-tokens (unless --keep-truncated), outside \
            --min-answer-tokens/--max-answer-tokens, an exact duplicate of a kept answer to the same prompt \
            (whitespace collapsed), or a near duplicate: word 3-gram Jaccard similarity of at least \
            --near-duplicate-jaccard with an answer kept for the same prompt.
            Under `mpirun -np N` the processes generate batches in turn and rank 0 writes OUT: the same \
            bytes as one process.
            """)

    @Option(help: "The teacher: a pulled model name, a .gguf file, a Hugging Face or a LoRA adapter directory.")
    var teacher: String
    @Option(help: "The prompts (JSONL).") var prompts: String
    @Option(help: "The training file to write (JSONL); an unfinished one with the same settings is resumed.")
    var out: String
    @Option(help: "Answers per prompt (use --temperature > 0 for more than one).") var samples = 1
    @Option(name: .customLong("max-tokens"), help: "Most tokens generated per answer.") var maxTokens = 256
    @Option(name: .customLong("batch-size"), help: "Answers generated together (keep it when resuming).")
    var batchSize = 16
    @OptionGroup var sampling: SamplingOptions
    @Flag(name: .customLong("keep-truncated"), help: "Keep answers cut off at --max-tokens.") var keepTruncated = false
    @Option(name: .customLong("min-answer-tokens"), help: "Drop answers with fewer tokens.") var minAnswerTokens = 0
    @Option(name: .customLong("max-answer-tokens"), help: "Drop answers with more tokens.") var maxAnswerTokens: Int?
    @Option(name: .customLong("near-duplicate-jaccard"),
            help: "Drop answers this similar (word 3-gram Jaccard, in (0, 1]) to one kept for the same prompt.")
    var nearDuplicateJaccard = 0.9
    @Option(help: "Solved examples (JSONL training records) the teacher sees before each prompt; not written out.")
    var shots: String?
    @OptionGroup var backendOptions: BackendOptions

    func settings(shots: [ChatMessage] = []) -> TeacherGeneration.Settings {
        TeacherGeneration.Settings(
            teacher: teacher, samples: samples, maxTokens: maxTokens, sampling: sampling.parameters,
            filter: AnswerFilter.Rules(keepTruncated: keepTruncated, minTokens: minAnswerTokens,
                                       maxTokens: maxAnswerTokens, nearDuplicateJaccard: nearDuplicateJaccard),
            shots: shots)
    }

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        if samples > 1 && sampling.temperature == 0 {
            throw ValidationError("--samples \(samples) needs --temperature > 0 (greedy answers would all be the same)")
        }
        do { try settings().validate() } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let promptList = try TeacherPrompt.load(from: URL(fileURLWithPath: prompts))
        let shotTurns = try shots.map(TrainingRecord.exampleTurns(inFile:)) ?? []
        let generation = TeacherGeneration(settings: settings(shots: shotTurns), prompts: promptList, output: URL(fileURLWithPath: out))
        let loaded = try ModelLoader.load(teacher, backend: backendOptions.make())
        let group = try ProcessGroup.world()
        let reports = group?.isRoot ?? true  // under mpirun, rank 0 writes and reports
        let showProgress = reports && isatty(STDERR_FILENO) != 0
        let started = Date()
        let result = try generation.run(teacher: TeacherGeneration.Teacher(loaded), batchSize: batchSize,
                                        group: group) { progress in
            if showProgress {
                FileHandle.standardError.write(Data("\r\(progress.done)/\(progress.total) answers, \(progress.counts.kept) kept\u{1B}[K".utf8))
            }
        }
        guard reports else { return }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if result.resumedAt == result.total {
            print("\(out) is complete: \(result.counts.summary)")
        } else {
            let resumed = result.resumedAt > 0 ? " (resumed after \(result.resumedAt) answers)" : ""
            print(String(format: "wrote %@%@: %@ (%.0f s)", out, resumed, result.counts.summary, Date().timeIntervalSince(started)))
        }
    }
}
