// afina bench products: the matrix products of a training step, alone, on every product
// kernel this CPU runs (OpenBLAS fp32, AVX-512 BF16, AMX tiles), so a kernel's speed is
// seen apart from the rest of the step. Weights are packed inside each product, as a
// trained weight is once per step. LoRA's adapters make narrow products (one side the rank).
import AfinaTensor
import ArgumentParser
import Foundation

struct BenchProducts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "products",
        abstract: "GFLOP/s of training-sized matrix products on each product kernel this CPU runs.")

    @Option(help: "Rows of each product (tokens in a batch).") var tokens = 1024
    @Option(help: "Model width (SmolLM2-135M: 576).") var width = 576
    @Option(help: "MLP width (SmolLM2-135M: 1536).") var mlp = 1536
    @Option(help: "LoRA rank: also the products of adapters [rank, width] and [mlp, rank] (0: none).") var rank = 16
    @Option(help: "Timed repetitions (the best is reported).") var repeats = 5
    @Flag(help: "Print {\"cpu\":\"...\",\"products\":[{\"product\":\"x·Wᵀ\",\"n\":N,\"k\":N,\"m\":N,\"gflops\":{kernel: X}}]}.")
    var json = false

    func run() throws {
        // "fp32" as training runs it, then with the other input-gradient kernel (dy·W differs,
        // and x·Wᵀ of an output head's size), then each bf16 kernel.
        let other = InputGradientKernel.allCases.filter { $0 != .best && $0.isAvailable }
        let kernels: [(String, CPUBackend)] = [("fp32", CPUBackend())]
            + other.map { ("fp32, dy·W, heads' x·Wᵀ on \($0 == .tiles ? "tiles" : "OpenBLAS")", CPUBackend(inputGradientKernel: $0)) }
            + BF16Kernel.allCases.filter(\.isAvailable).map { ("bf16 \($0.rawValue)", CPUBackend(precision: .bf16, bf16Kernel: $0)) }
        // For a [f, d] weight: the forward x·Wᵀ [n, d]x[d, f], dy·W [n, f]x[f, d], g += dyᵀx [f, n]x[n, d].
        // One untimed round first: the first products of a process ran at half speed (the
        // first column's square products read 240 GFLOP/s where the same OpenBLAS call in the
        // next column read 480).
        for (_, b) in kernels { _ = products(b, n: tokens, k: width, m: width) }
        var rows: [(product: String, shape: (Int, Int, Int), gflops: [Double])] = []
        let adapters = rank > 0 ? [(width, rank), (rank, mlp)] : []
        for (d, f) in [(width, width), (width, mlp), (mlp, width)] + adapters {
            let cells = kernels.map { _, b in products(b, n: tokens, k: d, m: f) }
            for (i, (product, shape)) in [("x·Wᵀ", (tokens, d, f)), ("dy·W", (tokens, f, d)), ("g += dyᵀx", (f, tokens, d))].enumerated() {
                rows.append((product, shape, cells.map { $0[i] }))
            }
        }
        if json {
            let products = rows.map { row -> [String: Any] in
                ["product": row.product, "n": row.shape.0, "k": row.shape.1, "m": row.shape.2,
                 "gflops": Dictionary(uniqueKeysWithValues: zip(kernels.map(\.0), row.gflops))]
            }
            let object: [String: Any] = ["cpu": CPUFeatures.modelName, "products": products]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print("\(CPUFeatures.modelName), \(ProcessInfo.processInfo.activeProcessorCount) threads; GFLOP/s, best of \(repeats); "
              + "fp32 on OpenBLAS (\(BLASKernels.core))\n")
        print("| product | " + kernels.map(\.0).joined(separator: " | ") + " |")
        print("|---|" + String(repeating: "---|", count: kernels.count))
        for row in rows {
            let (n, k, m) = row.shape
            print("| \(row.product) \(n)x\(k)x\(m) | " + row.gflops.map { String(format: "%.0f", $0) }.joined(separator: " | ") + " |")
        }
    }

    /// GFLOP/s of the forward product, the input gradient and the weight gradient of a [m, k] weight.
    private func products(_ b: CPUBackend, n: Int, k: Int, m: Int) -> [Double] {
        var state: UInt64 = 1
        func random(_ shape: [Int]) -> Tensor {
            b.tensor((0..<shape.reduce(1, *)).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int(state >> 40) % 2001 - 1000) / 1000
            }, shape: shape)
        }
        let (x, w, dy, g) = (random([n, k]), random([m, k]), random([n, m]), b.zeros([m, k]))
        let flops = 2 * Double(n * k * m) / 1e9
        return [{ _ = b.linear(x, weight: w, bias: nil) }, { _ = b.matmul(dy, w) },
                { b.accumulateWeightGradient(dy, x, alpha: 1, into: g) }].map { product in
            product()
            return (0..<repeats).map { _ in
                let started = DispatchTime.now().uptimeNanoseconds
                product()
                return flops / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }.max()!
        }
    }
}
