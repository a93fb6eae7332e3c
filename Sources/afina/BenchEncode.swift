// afina bench encode: an encoder's forward throughput (the work of `afina embed` and
// `afina classify` before pooling and heads) on batches of random tokens.
// The PyTorch baseline comes from scripts/bench_baselines.py on the same machine.
import AfinaEval
import AfinaModels
import AfinaTensor
import ArgumentParser
import Foundation

struct BenchEncode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "An encoder's hidden states of random-token batches: tokens/s and peak memory.")

    @Option(help: "An encoder: a pulled name or a Hugging Face directory.") var model = "all-minilm-l6-v2"
    @Option(help: "Sequences per forward pass.") var batch = 16
    @Option(name: .customLong("sequence-length"), help: "Tokens per sequence.") var sequenceLength = 128
    @Option(help: "Measured forward passes (after one warm-up pass).") var steps = 5
    @OptionGroup var backendOptions: BackendOptions
    @Flag(help: "Print {\"tokens_per_second\":X,\"peak_rss_bytes\":N,\"kernels\":{...}}.") var json = false

    func validate() throws {
        guard batch > 0, sequenceLength > 0, steps > 0 else {
            throw ValidationError("--batch, --sequence-length and --steps must be positive")
        }
    }

    func run() throws {
        let backend = try backendOptions.make()
        let loaded = try ModelLoader.loadNetwork(model, backend: backend)
        let encoder = try loaded.require((any TextEncoder).self, .encoder)
        guard sequenceLength <= encoder.contextLength else {
            throw ValidationError("--sequence-length \(sequenceLength) is past the model's \(encoder.contextLength) positions")
        }
        var random = Xoshiro256(seed: 1)
        let batches = (0...steps).map { _ in
            (0..<batch).map { _ in
                EncoderInput(ids: (0..<sequenceLength).map { _ in Int32(random.next() % UInt64(encoder.vocabularySize)) })
            }
        }
        _ = try encoder.hiddenStates(batches[0])  // warm-up: page in the weights
        let started = Date()
        for inputs in batches.dropFirst() { _ = try encoder.hiddenStates(inputs) }
        let speed = Double(batch * sequenceLength * steps) / Date().timeIntervalSince(started)
        let peak = PeakMemory.peakResidentBytes() ?? 0
        if json {
            let object: [String: Any] = ["tokens_per_second": speed, "peak_rss_bytes": peak, "kernels": backend.kernelTable]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("model: \(loaded.info.path)\nbatch \(batch) x \(sequenceLength) tokens, "
            + "\(ProcessInfo.processInfo.activeProcessorCount) cores")
        print("kernels:\n\(backend.kernelLines)")
        print(String(format: "%.1f tokens/s (%.1f sequences/s), peak RSS %d MiB", speed, speed / Double(sequenceLength),
                     peak / 1_048_576))
    }
}
