// afina distill cache: the teacher's top-k log-probabilities for a training config, so the
// student distills from them without the teacher in memory.
import AfinaData
import AfinaDistributed
import AfinaTraining
import ArgumentParser
import Foundation

struct DistillCache: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Store a teacher's top-k log-probabilities at every answer token of a training config.",
        discussion: """
            The examples are those `afina train CONFIG` trains on (same rendering, truncation and \
            split), scored at distill.temperature. Then train with the cache instead of the teacher:
              afina distill cache configs/spelling-distill.yaml --teacher runs/spelling-full/model --out runs/teacher.kd
              afina train configs/spelling-distill.yaml distill.cache=runs/teacher.kd
            The teacher must share the student's vocabulary. With --shots FILE (as given to \
            `afina distill generate`) the teacher scores each answer with those solved examples in front, \
            as it answered; the student still sees the examples without them. --backend NAME \
            overrides the config's backend key.
            Under `mpirun -np N` the processes score shares of the examples and rank 0 writes OUT: \
            the same bytes as one process.
            """)

    @Argument(help: "A training YAML config, then key=value overrides.") var arguments: [String]
    @Option(help: "The teacher (default: the config's distill.teacher).") var teacher: String?
    @Option(name: .customLong("top-k"), help: "Log-probabilities kept per token (the rest is one tail bucket).")
    var topK = 32
    @Option(help: "The cache file to write (safetensors).") var out: String
    @Option(help: "Solved examples (JSONL training records) the teacher sees before each example.")
    var shots: String?
    @OptionGroup var backendOptions: BackendOptions

    func validate() throws {
        guard topK > 0 else { throw ValidationError("--top-k must be positive") }
    }

    func run() throws {
        let config = try TrainingConfig(contentsOfFile: arguments[0],
                                        overrides: Array(arguments.dropFirst()) + backendOptions.configOverrides)
        guard let name = teacher ?? config.distill.teacher else {
            throw ValidationError("name the teacher with --teacher or distill.teacher in the config")
        }
        let shotTurns = try shots.map(TrainingRecord.exampleTurns(inFile:)) ?? []
        let started = Date()
        let group = try ProcessGroup.world()
        let reports = group?.isRoot ?? true  // rank 0 writes and reports
        let (examples, rows) = try TeacherCache.build(for: config, teacher: name, k: topK, shots: shotTurns, group: group,
                                                      to: URL(fileURLWithPath: out)) { done, total in
            if reports { FileHandle.standardError.write(Data("\r\(done)/\(total) examples".utf8)) }
        }
        guard reports else { return }
        printError("")
        print(String(format: "wrote %@: top-%d of %@ at temperature %g for %d answer tokens of %d examples (%.0f s)",
                     out, topK, name, config.distill.temperature, rows, examples, Date().timeIntervalSince(started)))
    }
}
