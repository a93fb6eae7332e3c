// Float32 products on afina_tile_gemm instead of OpenBLAS, which packs an operand for each:
// - with a narrow side (a LoRA adapter's rank), where it packs the wide operand for a product
//   it does little with. A bf16 backend keeps its own kernel where only the depth is narrow (it
//   then converts just the narrow operand), and takes this one, in float32, where the output is
//   narrow (its kernel would convert the whole wide input for a few columns) and for the
//   adapters' weight gradients;
// - a · b on float32 backends (dy·W, the input gradient of every linear layer), where it packed
//   all of b, a weight, for every product: here b's rows are read in place.
import CAfinaKernels

/// What multiplies a float32 backend's input gradients dy·W (and an output head's x·Wᵀ): the
/// register tiles, which read W in place, or OpenBLAS, which packs W for each product. The
/// tiles won on the Zen 5 EPYC; AFINA_INPUT_GRADIENT_KERNEL=openblas picks OpenBLAS for
/// comparisons on other CPUs.
public enum InputGradientKernel: String, Sendable, CaseIterable, KernelChoice {
    case tiles, openblas

    public var isAvailable: Bool { self == .openblas || CPUBackend.hasTileKernel }

    public static let best = chosen(fastest: tiles.isAvailable ? .tiles : .openblas, variable: "AFINA_INPUT_GRADIENT_KERNEL",
                                    what: "dy·W")
}

extension CPUBackend {
    /// The widest side a narrow product may have (LoRA ranks up to 32).
    static let narrowWidth = 32

    /// Whether this CPU runs the tile kernel at all (the routes below and `kernels` ask).
    static var hasTileKernel: Bool { CPUFeatures.current.contains(.avx512f) }

    /// Whether the tile kernel runs here, for a product over n rows.
    private func takesTiles(rows n: Int) -> Bool { n >= Self.rowSplitMinimum && Self.hasTileKernel }

    /// Whether [n, a] x [a, b] (or the weight gradient [a, b] over n rows) has a narrow side and
    /// enough rows for the narrow kernel.
    private func isNarrow(rows n: Int, _ a: Int, _ b: Int) -> Bool { min(a, b) <= Self.narrowWidth && takesTiles(rows: n) }

    /// Whether out [n, m] = x [n, k] · (k x m) goes to the narrow kernel.
    func multipliesNarrow(rows n: Int, _ k: Int, _ m: Int) -> Bool {
        isNarrow(rows: n, k, m) && (!usesBF16 || m <= Self.narrowWidth)
    }

    /// The deepest a · b the tile kernel walks in one pass over b: Qwen2.5 0.5B's MLP (4,864)
    /// ran faster that way than on OpenBLAS, 8,192 and the output head's vocabulary slower,
    /// since b came from memory once for every tile of 8-24 rows of a.
    static let tiledDepthLimit = 5120

    /// Rows of b a deeper product takes at a time: the slice (256 x 640 floats, 640 KB, for
    /// Gemma 3's head) stays in L2 while every row tile of a passes over it, the cores taking
    /// columns. On the Zen 5 EPYC the output head's dy·W rose from OpenBLAS's 300 to 420
    /// GFLOP/s at Gemma 3 270M's shape (128 rows, depth 262,144), 324 to 443 at SmolLM2's.
    static let tiledDepthSlice = 256

    /// Whether out [n, m] = a [n, k] · b [k, m], b float32, goes to the tile kernel: narrow, or
    /// on a float32 backend whose input gradients run on tiles.
    func multipliesOnTiles(rows n: Int, _ k: Int, _ m: Int) -> Bool {
        multipliesNarrow(rows: n, k, m) || !usesBF16 && inputGradientKernel == .tiles && takesTiles(rows: n)
    }

    /// Whether gradient [m, k] += dyᵀ [m, n] x [n, k] goes to the narrow kernel.
    func accumulatesNarrow(rows n: Int, _ m: Int, _ k: Int) -> Bool { isNarrow(rows: n, m, k) }

    /// out [n, m] = alpha · x [n, k] · weightᵀ (out += that with `accumulate`) for a float32
    /// weight [m, k]: the kernel reads B [k, m], so the (narrow, hence small) weight is
    /// transposed first.
    func narrowLinear(_ x: Tensor, _ weight: Tensor, alpha: Float = 1, into out: Tensor, accumulate: Bool = false) {
        let (k, m) = (x.columns, weight.rows)
        let transposed = Scratch<Float>(k * m)
        defer { transposed.release() }
        for i in 0..<m {
            for p in 0..<k { transposed.pointer[p * m + i] = weight.f32[i * k + p] }
        }
        tiledRows(x, transposed.pointer, k: k, m: m, alpha: alpha, into: out, accumulate: accumulate)
    }

    /// out [n, m] = a [n, k] · b [k, m] (out += that with `accumulate`), float32.
    func tiledMatmul(_ a: Tensor, _ b: Tensor, into out: Tensor, accumulate: Bool = false) {
        let (k, m) = (a.columns, b.columns)
        guard k > Self.tiledDepthLimit else {
            return tiledRows(a, b.f32, k: k, m: m, alpha: 1, into: out, accumulate: accumulate)
        }
        Parallel.forEach((m + 47) / 48, workPerItem: a.rows * k * 48) { steps in
            let (first, last) = (steps.lowerBound * 48, min(m, steps.upperBound * 48))
            for p in stride(from: 0, to: k, by: Self.tiledDepthSlice) {
                afina_tile_gemm(a.f32 + p, k, 1, b.f32 + p * m, m, min(Self.tiledDepthSlice, k - p), out.f32, m, 1,
                                accumulate || p > 0 ? 1 : 0, 0, a.rows, first, last)
            }
        }
    }

    private func tiledRows(_ a: Tensor, _ b: UnsafePointer<Float>, k: Int, m: Int, alpha: Float, into out: Tensor,
                            accumulate: Bool) {
        Parallel.forEach(a.rows, workPerItem: k * m) { r in
            afina_tile_gemm(a.f32, k, 1, b, m, k, out.f32, m, alpha, accumulate ? 1 : 0, r.lowerBound, r.upperBound,
                            0, m)
        }
    }

    /// The fewest weight rows for which x·Wᵀ runs in dot form (afina_dot_gemm, W read in place):
    /// an output head's. OpenBLAS packs W for every product, which a vocabulary-sized weight
    /// over a chunk of 128 rows does not repay: on the Zen 5 EPYC the dot form ran SmolLM2's
    /// head at 367 GFLOP/s against OpenBLAS's 319, Gemma 3's at 281 against 251 (at 256 rows,
    /// and at Qwen2.5's 151,936 x 896, the two ran alike).
    static let dotFormMinimumRows = 16384

    /// With the input gradients on OpenBLAS (`AFINA_INPUT_GRADIENT_KERNEL=openblas`) every
    /// float32 product of a weight stays there, so one switch compares the kernels on a new CPU.
    func multipliesInDotForm(weightRows m: Int) -> Bool {
        Self.hasTileKernel && inputGradientKernel == .tiles && m >= Self.dotFormMinimumRows
    }

    /// out [n, m] = x [n, k] · weightᵀ in dot form, the cores taking weight rows six at a time.
    func dotLinear(_ x: Tensor, _ weight: Tensor, into out: Tensor) {
        let (n, k, m) = (x.rows, x.columns, weight.rows)
        Parallel.forEach((m + 5) / 6, workPerItem: n * k * 6) { steps in
            afina_dot_gemm(x.f32, k, weight.f32, k, k, out.f32, m, 0, n, steps.lowerBound * 6, min(m, steps.upperBound * 6))
        }
    }

    /// gradient [m, k] += alpha · dy [n, m]ᵀ x [n, k]; the cores split the wider of m and k
    /// (k in 48-column steps, the kernel's widest tile).
    func narrowWeightGradient(_ dy: Tensor, _ x: Tensor, alpha: Float, into gradient: Tensor) {
        let (n, m, k) = (dy.rows, dy.columns, x.columns)
        func run(_ rows: Range<Int>, _ columns: Range<Int>) {
            afina_tile_gemm(dy.f32, 1, m, x.f32, k, n, gradient.f32, k, alpha, 1, rows.lowerBound, rows.upperBound,
                            columns.lowerBound, columns.upperBound)
        }
        if m >= k {
            Parallel.forEach(m, workPerItem: n * k) { rows in run(rows, 0..<k) }
        } else {
            Parallel.forEach((k + 47) / 48, workPerItem: n * m * 48) { steps in
                run(0..<m, steps.lowerBound * 48..<min(k, steps.upperBound * 48))
            }
        }
    }
}
