// afina distill: the commands that prepare distillation, where a small student model learns
// from a larger teacher.
import ArgumentParser

struct DistillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Prepare distillation data: a teacher model's answers for a student to learn from.",
        subcommands: [DistillGenerate.self, DistillCache.self])
}
