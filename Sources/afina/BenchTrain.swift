// afina bench train: training tokens/s and peak memory on random token batches.
// The PyTorch baselines come from scripts/bench_baselines.py on the same machine.
// Under mpirun the ranks share each batch (data-parallel, as `afina train`), and rank 0 also
// reports the share of a step spent summing gradients (scripts/bench_mpi.sh compares).
import AfinaDistributed
import AfinaEval
import AfinaHub
import AfinaModels
import AfinaTensor
import AfinaTraining
import ArgumentParser
import Foundation

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training tokens/s and peak memory (default: batch 4 x 256 tokens, LoRA r=16 on all linear layers).",
        discussion: """
            A decoder trains on the loss of every token; T5 reads the first half of each sequence as its input \
            and learns the rest; an encoder (all-minilm-l6-v2) trains as a two-label classifier with a new head.
            """)

    @Option(help: "A pulled model name, a .gguf file or a Hugging Face directory.")
    var model: String = ModelCatalog.defaultModel
    @Option(help: "full, lora or qlora.") var method: TrainingConfig.Method = .lora
    @Option(help: "Sequences per step.") var batch = 4
    @Option(name: .customLong("sequence-length"), help: "Tokens per sequence.") var sequenceLength = 256
    @Option(help: "Measured optimizer steps (after one warm-up step).") var steps = 3
    @Option(help: "LoRA rank.") var rank = 16
    @Option(help: "Input precision of the large products: fp32, or bf16 (AVX-512 BF16 or AMX CPUs).")
    var precision: ProductPrecision = .fp32
    @OptionGroup var backendOptions: BackendOptions
    @Flag(help: "Recompute activations in backward (less memory).") var recompute = false
    @Option(name: .customLong("tokens-per-pass"), help: "Most tokens per forward/backward pass.") var tokensPerPass = 512
    @Flag(help: "Print {\"tokens_per_second\":X,\"peak_rss_bytes\":N,\"flops_per_token\":X,\"kernels\":{...}}.") var json = false

    func validate() throws {
        guard batch > 0, sequenceLength > 1, steps > 0, rank > 0 else {
            throw ValidationError("--batch, --steps and --rank must be positive, --sequence-length above 1")
        }
    }

    func run() throws {
        let group = try ProcessGroup.world()
        let backend = try backendOptions.make(precision: precision)
        // Only the model that trains stays loaded, as in `afina train`: the loaded network (the
        // file's weights, or its mapping's pages) goes when `trainedModel` returns, before
        // gradients and optimizer state are allocated.
        let (trained, path) = try trainedModel(try ModelLoader.loadNetwork(model, backend: backend), group: group)
        let run = try measuredRun(trained, path: path, group: group)
        _ = try run.trainer.trainStep()  // warm-up
        let started = Date()
        var allReduceSeconds = 0.0
        for _ in 0..<steps { allReduceSeconds += try run.trainer.trainStep().allReduceSeconds ?? 0 }
        let elapsed = Date().timeIntervalSince(started)
        let speed = Double(batch * sequenceLength * steps) / elapsed
        let peak = PeakMemory.peakResidentBytes() ?? 0
        guard group?.isRoot ?? true else { return }
        if json {
            var object: [String: Any] = ["tokens_per_second": speed, "peak_rss_bytes": peak, "method": method.rawValue,
                                         "precision": precision.rawValue, "kernels": backend.kernelTable,
                                         "flops_per_token": run.flopsPerToken]
            if let group {
                object["ranks"] = group.size
                object["allreduce_share"] = allReduceSeconds / elapsed
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("\(method.rawValue) \(run.task) (\(precision.rawValue) products) of \(run.path): batch \(batch) x "
                + "\(sequenceLength) tokens, \(ProcessInfo.processInfo.activeProcessorCount) cores")
            print("kernels:\n\(backend.kernelLines)")
            print(String(format: "%.1f tokens/s, peak RSS %d MiB", speed, peak / 1_048_576))
            if let group {
                print(String(format: "%d processes (mpirun); summing gradients took %.1f%% of a step", group.size,
                             100 * allReduceSeconds / elapsed))
            }
        }
    }

    /// What one benchmark trains: its trainer, the arithmetic per trained token, and what it is.
    private struct MeasuredRun {
        let trainer: any LoopTrainer
        let flopsPerToken: Double
        let task: String
        let path: String
    }

    /// What a benchmark trains: a decoder or T5 (`inputLength` tokens of each sequence are
    /// its input), or an encoder's classifier.
    private enum TrainedModel {
        case tokenLoss(any TrainableModel, inputLength: Int)
        case classifier(any TrainableEncoder)
    }

    /// A decoder trains on its token loss, T5 on its output's; an encoder as a two-label sequence
    /// classifier with a new head (`afina train` with `task: classification`). Full fine-tuning
    /// and LoRA train a float32 copy, QLoRA the file's quantized weights.
    private func trainedModel(_ loaded: LoadedNetwork, group: ProcessGroup?) throws -> (TrainedModel, path: String) {
        if let base = loaded.network as? any TrainableModel {
            let trainable = method == .qlora ? base : try base.floatCopy()
            if method != .full { try trainable.attachAdapters(adapters(trainable.linearAdapterTargets), weights: nil, seed: 0) }
            // A decoder's loss is on every token; an encoder-decoder reads the first half as its input.
            return (.tokenLoss(trainable, inputLength: base is any Seq2SeqLM ? (sequenceLength + 1) / 2 : 1), loaded.info.path)
        }
        guard group == nil else { throw ValidationError("encoders train in one process (no mpirun)") }
        guard method != .qlora else { throw ValidationError("encoders load float weights: use --method full or lora") }
        let builder = try loaded.require((any ClassifierBuilding).self, .encoder)
        guard sequenceLength <= builder.contextLength else {
            throw ValidationError("--sequence-length \(sequenceLength) is past the model's \(builder.contextLength) positions")
        }
        let classifier = try builder.addingClassifier(labels: ["0", "1"], seed: 0)
        let trainable = method == .full ? try classifier.floatCopy() : classifier
        if method == .lora { try trainable.attachAdapters(adapters(trainable.linearAdapterTargets), weights: nil, seed: 0) }
        return (.classifier(trainable), loaded.info.path)
    }

    private func measuredRun(_ trained: TrainedModel, path: String, group: ProcessGroup?) throws -> MeasuredRun {
        var random = Xoshiro256(seed: 1)
        switch trained {
        case let .tokenLoss(trainable, inputLength):
            let examples = (0..<batch * (steps + 1)).map { _ in
                TrainingSequence(tokens: randomTokens(sequenceLength + 1, below: trainable.vocabularySize, &random),
                                 targets: Array(repeating: false, count: inputLength)
                                     + Array(repeating: true, count: sequenceLength + 1 - inputLength))
            }
            let trainer = Trainer(model: trainable, optimizer: optimizer(trainable.parameters(trainedSet), trainable.trainingBackend),
                                  examples: examples, settings: settings, group: group)
            return MeasuredRun(trainer: trainer, flopsPerToken: flopsPerToken(trainable.forwardMultiplyAdds([examples[0]])),
                               task: "fine-tuning", path: path)
        case let .classifier(trainable):
            let examples = (0..<batch * (steps + 1)).map { _ in
                EncoderExample(input: EncoderInput(ids: randomTokens(sequenceLength, below: trainable.vocabularySize, &random)),
                               label: Int32(random.next() % 2))
            }
            let trainer = EncoderTrainer(classifier: trainable, examples: examples, settings: settings, optimizer: optimizer(
                trainable.parameters(trainedSet), trainable.trainingBackend))
            return MeasuredRun(trainer: trainer, flopsPerToken: flopsPerToken(trainable.forwardMultiplyAdds([examples[0].input])),
                               task: "classification tuning", path: path)
        }
    }

    /// Every weight in full fine-tuning, the adapters otherwise.
    private var trainedSet: TrainableSet { method == .full ? .all : .adapters }

    private var settings: Trainer.Settings {
        Trainer.Settings(batchSize: batch, gradAccum: 1, learningRate: 1e-5, schedule: .constant, warmupSteps: 0,
                         totalSteps: steps + 1, maxGradNorm: 1, seed: 0, recompute: recompute, tokensPerPass: tokensPerPass)
    }

    /// Adapters of --rank (alpha twice the rank) on `targets`.
    private func adapters(_ targets: [String]) -> LoRAConfiguration {
        LoRAConfiguration(rank: rank, alpha: Double(2 * rank), targets: targets)
    }

    private func randomTokens(_ count: Int, below vocabulary: Int, _ random: inout Xoshiro256) -> [Int32] {
        (0..<count).map { _ in Int32(random.next() % UInt64(vocabulary)) }
    }

    private func optimizer(_ parameters: [Parameter], _ backend: any TrainingBackend) -> Optimizer {
        Optimizer(parameters, settings: .adamW(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0), backend: backend)
    }

    /// Arithmetic of one trained token (a multiply-add counts 2) from the forward's multiply-adds
    /// over one sequence, for the share of the machine's peak a run reaches: backward computes
    /// input gradients (as much again as the forward's products) and, in full fine-tuning, weight
    /// gradients (as much again); attention's backward is twice its forward either way. LoRA's
    /// small adapter products are left out.
    private func flopsPerToken(_ forward: ForwardMultiplyAdds) -> Double {
        (2 * (method == .full ? 3 : 2) * forward.products + 2 * 3 * forward.attention) / Double(sequenceLength)
    }
}

extension TrainingConfig.Method: ExpressibleByArgument {}
extension ProductPrecision: ExpressibleByArgument {}
