// afina bench generate: prefill and decode speed and peak memory of the CPU path.
// The PyTorch and llama.cpp baselines come from scripts/bench_baselines.py on the same machine.
import AfinaEval
import AfinaHub
import AfinaModels
import AfinaTensor
import ArgumentParser
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (not tests): print a table, or JSON.", subcommands: [BenchGenerate.self, BenchEncode.self, BenchTrain.self, BenchProducts.self, BenchPeak.self])
}

struct BenchGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Prefill and decode tokens/s and peak memory; batch 1 and 8 unless --batch is given.")

    @Option(help: "A pulled model name, a .gguf file or a Hugging Face directory.")
    var model: String = ModelCatalog.defaultModel
    @Option(help: "Sequences decoded together.") var batch: Int?
    @Option(name: .customLong("prompt-tokens"), help: "Prompt length per sequence.") var promptTokens = 128
    @Option(name: .customLong("tokens"), help: "Tokens generated per sequence.") var tokens = 64
    @OptionGroup var backendOptions: BackendOptions
    @Flag(help: "Print {\"prefill_tokens_per_second\":X,\"decode_tokens_per_second\":X,\"peak_rss_bytes\":N,\"kernels\":{...}}.")
    var json = false

    func validate() throws {
        guard batch.map({ $0 > 0 }) ?? true, promptTokens > 0, tokens > 0 else {
            throw ValidationError("--batch, --prompt-tokens and --tokens must be positive")
        }
    }

    func run() throws {
        let backend = try backendOptions.make()
        let loaded = try ModelLoader.load(model, backend: backend)
        let text = String(repeating: "The quick brown fox jumps over the lazy dog while the cat sleeps. ", count: 200)
        let prompt = Array(loaded.tokenizer.encode(text).prefix(promptTokens))
        let generator = Generator(model: loaded.model, decode: { _ in "" })
        func measure(_ n: Int) throws -> GenerationTimings {
            var timings = GenerationTimings()
            // Distinct first tokens keep the sequences honest; no stop token ends them early.
            let requests = (0..<n).map { i in
                GenerationRequest(prompt: [prompt[0] &+ Int32(i)] + prompt.dropFirst(), maxTokens: tokens)
            }
            _ = try generator.generate(requests, timings: &timings)
            return timings
        }
        _ = try measure(1)  // warm-up: page in the weights
        let batches = batch.map { [$0] } ?? [1, 8]
        let results = try batches.map { ($0, try measure($0)) }
        let peak = PeakMemory.peakResidentBytes() ?? 0
        if json {
            let t = results[0].1
            let object: [String: Any] = [
                "prefill_tokens_per_second": Double(t.prefillTokens) / t.prefillSeconds,
                "decode_tokens_per_second": Double(t.decodeTokens) / t.decodeSeconds,
                "peak_rss_bytes": peak, "batch": results[0].0, "kernels": backend.kernelTable,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("model: \(loaded.info.path)\nprompt \(prompt.count) tokens, \(tokens) generated per sequence, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print("kernels:\n\(backend.kernelLines)")
        print("batch  prefill tok/s  decode tok/s")
        for (n, t) in results {
            print(String(format: "%5d  %13.1f  %12.1f", n, Double(t.prefillTokens) / t.prefillSeconds,
                         Double(t.decodeTokens) / t.decodeSeconds))
        }
        print("peak RSS: \(peak / 1_048_576) MiB")
    }
}

extension Backend {
    /// The kernels in use as a JSON object ({role: kernel}) and as indented lines.
    var kernelTable: [String: String] { Dictionary(kernels.map { ($0.role, $0.kernel) }) { first, _ in first } }
    var kernelLines: String { kernels.map { "  \($0.role): \($0.kernel)" }.joined(separator: "\n") }
}

struct BenchPeak: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peak",
        abstract: "This machine's arithmetic peak on every core: float32 FMAs, AVX-512 BF16 dot products and AMX bf16 tile products, GFLOP/s.")

    @Flag(help: "Print {\"fp32_gflops\":X,\"fp32_gflops_one_thread\":X,\"bf16_gflops\":X or null,\"amx_bf16_gflops\":X or null,\"amx_bf16_gflops_one_thread\":X or null,\"cores\":N,\"cpu\":\"...\"}.")
    var json = false

    func run() throws {
        let peak = MachinePeak.measure()
        if json {
            let object: [String: Any] = ["fp32_gflops": peak.fp32 / 1e9, "fp32_gflops_one_thread": peak.fp32OneThread / 1e9,
                                         "bf16_gflops": peak.bf16.map { $0 / 1e9 } ?? NSNull(),
                                         "amx_bf16_gflops": peak.amxBF16.map { $0.all / 1e9 } ?? NSNull(),
                                         "amx_bf16_gflops_one_thread": peak.amxBF16.map { $0.oneThread / 1e9 } ?? NSNull(),
                                         "cores": ProcessInfo.processInfo.activeProcessorCount, "cpu": CPUFeatures.modelName]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("\(CPUFeatures.modelName), \(ProcessInfo.processInfo.activeProcessorCount) threads (\(CPUFeatures.current))")
        print(String(format: "fp32 FMA: %.0f GFLOP/s (one thread: %.0f)", peak.fp32 / 1e9, peak.fp32OneThread / 1e9))
        print(peak.bf16.map { String(format: "bf16 dot (vdpbf16ps): %.0f GFLOP/s", $0 / 1e9) } ?? "bf16 dot: no AVX-512 BF16")
        print(peak.amxBF16.map { String(format: "bf16 tiles (AMX tdpbf16ps): %.0f GFLOP/s (one thread: %.0f)", $0.all / 1e9, $0.oneThread / 1e9) }
              ?? "bf16 tiles: no AMX (or the OS refused the tile state)")
    }
}
