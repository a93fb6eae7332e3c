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
        abstract: "Training tokens/s and peak memory (default: batch 4 x 256 tokens, LoRA r=16 on all linear layers).")

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
        // Only the model that trains stays loaded, as in `afina train`: the file's weights beside
        // a float copy would count in the peak.
        let (trainable, path): (any TrainableModel, String) = try {
            let loaded = try ModelLoader.load(model, backend: backend)
            guard let base = loaded.model as? any TrainableModel else { throw ValidationError("model cannot train") }
            return (method == .qlora ? base : try base.floatCopy(), loaded.info.path)
        }()
        if method != .full {
            try trainable.attachAdapters(LoRAConfiguration(rank: rank, alpha: Double(2 * rank),
                                                           targets: LoRAConfiguration.allLinearModules),
                                         weights: nil, seed: 0)
        }
        let parameters = trainable.parameters(method == .full ? .all : .adapters)
        let optimizer = Optimizer(parameters, settings: .adamW(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
                                  backend: trainable.trainingBackend)
        var random = Xoshiro256(seed: 1)
        let examples = (0..<batch * (steps + 1)).map { _ in
            TrainingSequence(tokens: (0...sequenceLength).map { _ in Int32(random.next() % UInt64(trainable.vocabularySize)) },
                             targets: [false] + Array(repeating: true, count: sequenceLength))
        }
        let trainer = Trainer(model: trainable, optimizer: optimizer, examples: examples, settings: Trainer.Settings(
            batchSize: batch, gradAccum: 1, learningRate: 1e-5, schedule: .constant, warmupSteps: 0,
            totalSteps: steps + 1, maxGradNorm: 1, seed: 0, recompute: recompute, tokensPerPass: tokensPerPass),
            group: group)
        _ = try trainer.trainStep()  // warm-up
        let started = Date()
        var allReduceSeconds = 0.0
        for _ in 0..<steps { allReduceSeconds += try trainer.trainStep().allReduceSeconds ?? 0 }
        let elapsed = Date().timeIntervalSince(started)
        let speed = Double(batch * sequenceLength * steps) / elapsed
        let peak = PeakMemory.peakResidentBytes() ?? 0
        guard group?.isRoot ?? true else { return }
        if json {
            var object: [String: Any] = ["tokens_per_second": speed, "peak_rss_bytes": peak, "method": method.rawValue,
                                         "precision": precision.rawValue, "kernels": backend.kernelTable,
                                         "flops_per_token": flopsPerToken(trainable.dimensions)]
            if let group {
                object["ranks"] = group.size
                object["allreduce_share"] = allReduceSeconds / elapsed
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("\(method.rawValue) fine-tuning (\(precision.rawValue) products) of \(path): batch \(batch) x \(sequenceLength) tokens, "
                + "\(ProcessInfo.processInfo.activeProcessorCount) cores")
            print("kernels:\n\(backend.kernelLines)")
            print(String(format: "%.1f tokens/s, peak RSS %d MiB", speed, peak / 1_048_576))
            if let group {
                print(String(format: "%d processes (mpirun); summing gradients took %.1f%% of a step", group.size,
                             100 * allReduceSeconds / elapsed))
            }
        }
    }

    /// Arithmetic of one trained token (a multiply-add counts 2), for the share of the machine's
    /// peak a run reaches: the forward is 2N for the N weights of the products (output head
    /// included) plus attention's scores and sums, 4 * layers * heads * headDim * (average keys);
    /// backward computes input gradients (2N more) and, in full fine-tuning, weight gradients
    /// (2N more); attention's backward is twice its forward either way. LoRA's small adapter
    /// products are left out.
    private func flopsPerToken(_ d: ModelDimensions) -> Double {
        let (attentionWidth, kvWidth) = (d.headCount * d.headDim, d.kvHeadCount * d.headDim)
        let perLayer = 2 * d.hiddenSize * (attentionWidth + kvWidth) + 3 * d.hiddenSize * d.intermediateSize
        let weights = Double(d.layerCount * perLayer + d.vocabularySize * d.hiddenSize)
        let attention = 4 * Double(d.layerCount * attentionWidth) * Double(sequenceLength + 1) / 2
        return (method == .full ? 6 : 4) * weights + 3 * attention
    }
}

extension TrainingConfig.Method: ExpressibleByArgument {}
extension ProductPrecision: ExpressibleByArgument {}
