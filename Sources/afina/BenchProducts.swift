// afina bench products: the matrix products of a training step, alone, on every product
// kernel this CPU runs (OpenBLAS fp32, AVX-512 BF16, AMX tiles), so a kernel's speed is
// seen apart from the rest of the step. Weights are packed inside each product, as a
// trained weight is once per step.
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
    @Option(help: "Timed repetitions (the best is reported).") var repeats = 5

    func run() throws {
        let kernels: [(String, CPUBackend)] = [("fp32 (\(BLASKernels.core))", CPUBackend())]
            + BF16Kernel.allCases.filter(\.isAvailable).map { ("bf16 \($0.rawValue)", CPUBackend(precision: .bf16, bf16Kernel: $0)) }
        print("\(CPUFeatures.modelName), \(ProcessInfo.processInfo.activeProcessorCount) threads; GFLOP/s, best of \(repeats)\n")
        print("| product | " + kernels.map(\.0).joined(separator: " | ") + " |")
        print("|---|" + String(repeating: "---|", count: kernels.count))
        let n = tokens
        for (d, f) in [(width, width), (width, mlp), (mlp, width)] {
            let cells = kernels.map { _, b in products(b, n: n, k: d, m: f) }
            for (i, name) in ["x·Wᵀ \(n)x\(d)x\(f)", "dy·W \(n)x\(f)x\(d)", "g += dyᵀx \(f)x\(n)x\(d)"].enumerated() {
                print("| \(name) | " + cells.map { String(format: "%.0f", $0[i]) }.joined(separator: " | ") + " |")
            }
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
