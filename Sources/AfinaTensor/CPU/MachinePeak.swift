// The arithmetic peak of this machine on every core at once, measured (afina_peak_*): the
// bound that benchmarks report their products against, on whichever CPU a run lands.
import CAfinaKernels
import Foundation

public enum MachinePeak {
    /// Operations per second (a multiply-add counts 2) of float32 FMAs on every core and on one
    /// thread alone (where the two are close, the threads are hyperthreads of shared cores, as
    /// on the Intel machine of MACHINE-NOTES.md), and, where the CPU has AVX-512 BF16, of bf16
    /// dot products on every core, and where it has AMX-BF16, of tile products on every core and,
    /// as for fp32, on one thread; each the best of three runs.
    public static func measure() -> (fp32: Double, fp32OneThread: Double, bf16: Double?,
                                     amxBF16: (all: Double, oneThread: Double)?) {
        let features = CPUFeatures.current
        return (best(threads: Parallel.cores) { afina_peak_fp32($0) }, best(threads: 1) { afina_peak_fp32($0) },
                features.contains(.avx512bf16) ? best(threads: Parallel.cores) { afina_peak_bf16($0) } : nil,
                features.contains(.amxBF16) ? (best(threads: Parallel.cores) { afina_peak_amx_bf16($0 / 8) },
                                               best(threads: 1) { afina_peak_amx_bf16($0 / 8) }) : nil)
    }

    private static func best(threads: Int, _ kernel: (Int) -> Double) -> Double {
        let operations = UnsafeMutableBufferPointer<Double>.allocate(capacity: threads)
        defer { operations.deallocate() }
        return (0..<3).map { _ in
            let started = DispatchTime.now().uptimeNanoseconds
            WorkerPool.shared.run(threads) { thread in operations[thread] = kernel(20_000_000) }
            return operations.reduce(0, +) / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        }.max()!
    }
}
