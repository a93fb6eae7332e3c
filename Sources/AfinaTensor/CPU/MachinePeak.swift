// The arithmetic peak of this machine on every core at once, measured (afina_peak_*): the
// bound that benchmarks report their products against, on whichever CPU a run lands.
import CAfinaKernels
import Foundation

public enum MachinePeak {
    /// Operations per second (a multiply-add counts 2) of float32 FMAs and, where the CPU has
    /// AVX-512 BF16, of bf16 dot products; the best of three runs of about 0.1 s.
    public static func measure() -> (fp32: Double, bf16: Double?) {
        let bf16 = CPUFeatures.current.contains(.avx512bf16)
        return (best { afina_peak_fp32($0) }, bf16 ? best { afina_peak_bf16($0) } : nil)
    }

    private static func best(_ kernel: (Int) -> Double) -> Double {
        let operations = UnsafeMutableBufferPointer<Double>.allocate(capacity: Parallel.cores)
        defer { operations.deallocate() }
        return (0..<3).map { _ in
            let started = DispatchTime.now().uptimeNanoseconds
            WorkerPool.shared.run(Parallel.cores) { core in operations[core] = kernel(20_000_000) }
            return operations.reduce(0, +) / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        }.max()!
    }
}
