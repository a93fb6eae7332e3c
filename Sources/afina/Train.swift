// afina train: supervised fine-tuning from a YAML config, or resuming a run folder.
import AfinaDistributed
import AfinaModels
import AfinaTraining
import ArgumentParser
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a model (full, LoRA or QLoRA-style) from a YAML config: decoders and T5 on chat, prompt/completion or text records, encoders for classification, masked-LM or embeddings (task:).",
        discussion: """
            Examples:
              afina train configs/spelling-lora.yaml
              afina train configs/spelling-lora.yaml lora.rank=8 max_steps=50
              afina train --resume runs/spelling-lora
              afina train configs/polarity-minilm.yaml        # task: classification on an encoder
              afina train configs/coedit-flan-t5.yaml model=flan-t5-base/   # a T5 on {"src", "tgt"} pairs

            The run folder (output_dir) gets config.yaml (every key resolved), metrics.jsonl, \
            loss.svg, checkpoints/ and the result: adapter/ (peft layout) or model/. A run \
            killed at any moment resumes from its latest checkpoint with --resume.
            --backend NAME overrides the config's backend key (also when resuming: a run may \
            continue on another backend).
            Data-parallel: `mpirun -np N afina train ...` gives each process a share of every \
            micro-batch (same global batch and weights as one process); rank 0 writes the run folder.
            """)

    @Argument(help: "A YAML config, then key=value overrides (dotted keys, e.g. lora.rank=16).")
    var arguments: [String] = []
    @Option(help: "Continue the run in this folder from its latest checkpoint.") var resume: String?
    @OptionGroup var backendOptions: BackendOptions

    func validate() throws {
        if resume == nil && arguments.isEmpty { throw ValidationError("give a config file or --resume RUN_DIR") }
        if resume != nil && !arguments.isEmpty { throw ValidationError("--resume takes no config or overrides") }
    }

    func run() throws {
        var config: TrainingConfig
        if let resume {
            config = try TrainingConfig(contentsOfFile: resume + "/config.yaml", overrides: backendOptions.configOverrides)
            // The run continues where it is now, even if its folder was moved (off a full disk).
            config.outputDir = resume
        } else {
            config = try TrainingConfig(contentsOfFile: arguments[0],
                                        overrides: Array(arguments.dropFirst()) + backendOptions.configOverrides)
        }
        let group = try ProcessGroup.world()
        let run = try FineTune.recipe(config, resume: resume != nil, group: group)
        guard group?.isRoot ?? true else { return try run.run { _ in true } }  // rank 0 reports for all
        if let group { printError("data-parallel over \(group.size) processes (mpirun)") }
        for note in run.notes { printError(note) }
        var bar = ProgressBar(totalSteps: run.totalSteps, logEvery: config.logEvery)
        let started = Date(), firstStep = run.completedSteps + 1
        try run.run { event in
            switch event {
            case let .step(result, speed):
                bar.update(step: result.step, loss: result.loss, tokensPerSecond: speed,
                           elapsedSeconds: Date().timeIntervalSince(started), firstStep: firstStep)
            case let .validation(step, result):
                bar.finish()
                var line = String(format: "step %d: validation loss %.4f", step, result.loss)
                if let accuracy = result.accuracy, let f1 = result.macroF1 {
                    line += String(format: ", accuracy %.1f, macro-F1 %.1f", accuracy, f1)
                }
                printError(line)
            case .checkpoint(let url):
                bar.finish()
                printError("saved \(url.path)")
            case .earlyStop(let step):
                bar.finish()
                printError("early stop at step \(step): validation loss stopped improving")
            }
            return true
        }
        bar.finish()
        let output = config.method == .full ? "model" : "adapter"
        print("wrote \(config.outputDir)/\(output)")
    }
}

func printError(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
