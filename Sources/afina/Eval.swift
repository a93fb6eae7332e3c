// afina eval: score one or more models on a JSONL task and compare them side by side.
import AfinaEval
import AfinaModels
import ArgumentParser
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score models on a task of prompts and reference answers.",
        discussion: """
            The task is JSONL, one {"prompt": ..., "reference": "..." or [...]} per line. Each prompt is \
            sent as a user message through the model's chat template and answered greedily. Answers are \
            scored by exact match (ignoring surrounding whitespace and one final period) and chrF.
            A model is a pulled name, a .gguf file, a Hugging Face directory, or a LoRA adapter \
            directory (as `afina train` writes), which runs over the base its adapter_config.json names.
            """)

    @Option(parsing: .upToNextOption, help: "Models: pulled names, .gguf files, Hugging Face or adapter directories.")
    var models: [String] = []
    @Option(help: "The task JSONL file.") var task: String
    @Option(name: .customLong("max-tokens"), help: "Most tokens per answer.") var maxTokens = 32
    @Option(name: .customLong("batch-size"), help: "Prompts generated together.") var batchSize = 16
    @Flag(help: "Print one JSON object with each model's metrics.") var json = false

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("give at least one model: --models A [B ...]") }
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() throws {
        let examples = try TaskFile.load(task)
        let showProgress = !json && isatty(STDERR_FILENO) != 0
        var reports: [TaskReport] = []
        for spec in models {
            let loaded = try ModelLoader.load(spec)
            reports.append(try TaskEvaluator.evaluate(
                loaded, name: spec, on: examples, options: TaskOptions(maxTokens: maxTokens, batchSize: batchSize),
                progress: showProgress ? { done, total in
                    FileHandle.standardError.write(Data("\r\(spec): \(done)/\(total)\u{1B}[K".utf8))
                } : nil))
            if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
        if json {
            print(try ReportFormat.json(reports))
            return
        }
        print(ReportFormat.table(reports, style: .terminal), terminator: "")
        for report in reports where !report.misses.isEmpty {
            print("\nFirst wrong answers of \(report.model):")
            for miss in report.misses {
                print("  prompt:     \(miss.prompt)")
                print("  answer:     \(miss.prediction)")
                print("  expected:   \(miss.references.joined(separator: " | "))")
            }
        }
    }
}
