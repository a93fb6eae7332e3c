// afina eval: score one or more models on a JSONL task and/or measure their perplexity on a
// text, and compare them side by side.
import AfinaDistributed
import AfinaEval
import AfinaModels
import ArgumentParser
import Foundation

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score models on a task of prompts and reference answers, or measure their perplexity.",
        discussion: """
            The task is JSONL, one {"prompt": ..., "reference": "..." or [...]} per line; \
            {"messages": [...]} conversations and the training shapes (prompt/completion, \
            instruction/input/output, input/output: the answer is the reference) work too. Each \
            conversation goes through the model's chat template and is answered greedily. Metrics \
            (0-100, with 95% percentile bootstrap intervals over examples, 1000 seeded resamples): \
            exact_match (ignoring surrounding whitespace and one final period), chrf, bleu (sacrebleu), \
            rouge_l, sari (needs each record's "source" or "input" field), accuracy and macro_f1 \
            (the answer against the reference as a label).
            A sequence classifier (an encoder that `afina train` tuned with task: classification) is \
            scored on {"text", "label"} records (optional "text_pair"): its predicted labels, with \
            accuracy and macro_f1 unless --metrics says otherwise.
            --few-shot N turns the task's first N records into solved example turns before every \
            other prompt; those N are not scored.
            --similarity FILE (encoders): {"text_a", "text_b", "score"} records; Pearson's r between the \
            cosine of the two texts' embeddings and the score, with a 95% bootstrap interval over pairs.
            --perplexity FILE: exp(mean NLL) over target tokens: answer tokens of chat, prompt/completion \
            and Alpaca JSONL records, every token after the first of "text" records and of plain text \
            files (any extension other than .jsonl/.json).
            Peak RSS is the process's VmHWM, reset before each model loads.
            A model is a pulled name, a .gguf file, a Hugging Face directory, or a LoRA adapter \
            directory (as `afina train` writes), which runs over the base its adapter_config.json names.
            Under `mpirun -np N` the processes share out the task's prompts and the perplexity passes \
            (classifiers and --similarity run whole in each) and rank 0 prints and writes: the same \
            answers and scores as one process.
            """)

    @Option(parsing: .upToNextOption, help: "Models: pulled names, .gguf files, Hugging Face or adapter directories.")
    var models: [String] = []
    @Option(help: "The task JSONL file.") var task: String?
    @Option(help: "A text or JSONL file to measure perplexity on.") var perplexity: String?
    @Option(help: "Encoders: {\"text_a\", \"text_b\", \"score\"} pairs; Pearson r of embedding cosine vs score.")
    var similarity: String?
    @Option(help: "Comma-separated: exact_match, chrf, bleu, rouge_l, sari, accuracy, macro_f1 (default: exact_match,chrf; classifiers accuracy,macro_f1).")
    var metrics: String?
    @Option(name: .customLong("few-shot"), help: "Use the task's first N records as example turns (not scored).")
    var fewShot = 0
    @Option(name: .customLong("out-dir"), help: "Also write eval.md and eval.json into this folder.") var outDir: String?
    @Option(name: .customLong("max-tokens"), help: "Most tokens per answer.") var maxTokens = 32
    @Option(name: .customLong("batch-size"), help: "Prompts generated together.") var batchSize = 16
    @OptionGroup var backendOptions: BackendOptions
    @Flag(help: "Print one JSON object with each model's metrics.") var json = false

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("give at least one model: --models A [B ...]") }
        guard task != nil || perplexity != nil || similarity != nil else {
            throw ValidationError("give --task FILE, --perplexity FILE (or both), or --similarity FILE")
        }
        if similarity != nil && (task != nil || perplexity != nil) {
            throw ValidationError("--similarity scores encoders on its own: leave out --task and --perplexity")
        }
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be positive") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard fewShot >= 0 else { throw ValidationError("--few-shot must be 0 or more") }
        if fewShot > 0 && task == nil { throw ValidationError("--few-shot needs --task") }
        do { _ = try metrics.map(Metric.list) } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let group = try ProcessGroup.world()
        let reportsHere = group?.isRoot ?? true  // under mpirun, rank 0 prints and writes
        if let similarity { return try scoreSimilarity(similarity, printing: reportsHere) }
        let bootstrap = Bootstrap()
        let showProgress = !json && reportsHere && isatty(STDERR_FILENO) != 0
        func progress(_ what: String) -> ((Int, Int) -> Void)? {
            showProgress ? { done, total in
                FileHandle.standardError.write(Data("\r\(what): \(done)/\(total)\u{1B}[K".utf8))
            } : nil
        }
        var reports: [TaskReport] = []
        // The generation task, read once for all decoders (a classifier reads labelled records).
        var examples: [TaskExample]?
        for spec in models {
            PeakMemory.reset()
            let network = try ModelLoader.loadNetwork(spec, backend: backendOptions.make())
            var report = TaskReport(model: spec, count: 0, scores: [], tokensPerSecond: 0)
            if network.network is any SequenceClassifier {
                guard let task, perplexity == nil, fewShot == 0 else {
                    throw ValidationError("\(spec) is a classifier: give --task FILE of {\"text\", \"label\"} records only")
                }
                report = try ClassificationEvaluator.evaluate(try EncoderSession(network), name: spec, file: task,
                                                              metrics: try Metric.list(metrics ?? "accuracy,macro_f1"),
                                                              bootstrap: bootstrap)
            } else {
                let loaded = try ModelLoader.causalLM(network)
                if let task {
                    if examples == nil { examples = try FewShot.apply(fewShot, to: TaskFile.load(task)) }
                    report = try TaskEvaluator.evaluate(
                        loaded, name: spec, on: examples!,
                        options: TaskOptions(maxTokens: maxTokens, batchSize: batchSize,
                                             metrics: try Metric.list(metrics ?? "exact_match,chrf"), bootstrap: bootstrap,
                                             group: group),
                        progress: progress(spec))
                }
                if let perplexity {
                    report.perplexity = try Perplexity.evaluate(loaded, file: perplexity, group: group,
                                                                progress: progress("\(spec) perplexity"))
                }
            }
            report.peakResidentBytes = PeakMemory.peakResidentBytes()
            if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            reports.append(report)
        }
        guard reportsHere else { return }
        for note in Set(reports.compactMap(\.perplexity).flatMap(\.notes)).sorted() {
            FileHandle.standardError.write(Data("warning: \(note)\n".utf8))
        }
        if let outDir {
            let dir = URL(fileURLWithPath: outDir)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let context = ReportFormat.Context(task: task, perplexityFile: perplexity, fewShot: fewShot, bootstrap: bootstrap)
            try Data(ReportFormat.markdownDocument(reports, context: context).utf8)
                .write(to: dir.appendingPathComponent("eval.md"))
            try Data((try ReportFormat.json(reports, pretty: true) + "\n").utf8).write(to: dir.appendingPathComponent("eval.json"))
        }
        if json {
            print(try ReportFormat.json(reports))
            return
        }
        print(ReportFormat.table(reports, style: .terminal), terminator: "")
        for report in reports {
            for score in report.scores { if let why = score.unavailable { print("\(score.metric.title) n/a: \(why)") } }
        }
        for report in reports where !report.misses.isEmpty {
            print("\nFirst wrong answers of \(report.model):")
            for miss in report.misses {
                print("  prompt:     \(miss.prompt)")
                print("  answer:     \(miss.prediction)")
                print("  expected:   \(miss.references.joined(separator: " | "))")
            }
        }
        if let outDir { print("\nwrote \(outDir)/eval.md and \(outDir)/eval.json") }
    }

    /// Each encoder's Pearson r against the pairs' ratings, as a table or JSON (when `printing`).
    func scoreSimilarity(_ file: String, printing: Bool) throws {
        var reports: [SimilarityReport] = []
        for spec in models {
            let session = try EncoderSession(ModelLoader.loadNetwork(spec, backend: backendOptions.make()))
            reports.append(try SimilarityEvaluator.evaluate(session, name: spec, file: file))
        }
        guard printing else { return }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return print(String(decoding: try encoder.encode(["similarity": reports]), as: UTF8.self))
        }
        print("| model | pairs | Pearson r [95% interval] | texts/s |\n|---|---|---|---|")
        for r in reports {
            print(String(format: "| %@ | %d | %.3f [%.3f, %.3f] | %.1f |", r.model, r.pairs, r.pearson, r.lower, r.upper,
                         r.textsPerSecond))
        }
    }
}
