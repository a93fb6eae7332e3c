// The CPU backend: OpenBLAS for matrix products, SIMD Swift for the rest.
// Quantized weights stay in their blocks and are dequantized row by row inside `linear`,
// so memory stays near the file size.
// All threading goes through WorkerPool: OpenBLAS runs single-threaded on slices of each
// product, since its own threads and the pool's spinning workers fought over the cores
// (measured: batch-8 decoding no faster than batch 1).
import CAfinaKernels
import COpenBLAS
import Foundation

public final class CPUBackend: HostBackend {
    public let name = "cpu"
    private static let setUp: Void = {
        openblas_set_num_threads(1)
        afina_keep_freed_memory()
    }()

    /// Input precision of large products (bf16 only where the CPU has AVX-512 BF16).
    public let precision: ProductPrecision
    /// What runs bf16 products (the fastest this machine has unless a test picks one).
    public let bf16Kernel: BF16Kernel
    /// What runs a float32 backend's input gradients dy·W.
    public let inputGradientKernel: InputGradientKernel
    let packedWeights = PackedWeightCache()
    let rotations = RotationTables()

    public init(precision: ProductPrecision = .fp32, bf16Kernel: BF16Kernel = .best,
                inputGradientKernel: InputGradientKernel = .best) {
        Self.setUp
        self.precision = precision.available
        self.bf16Kernel = bf16Kernel
        self.inputGradientKernel = inputGradientKernel
    }

    /// Products keep bf16 packings of `weight` until its next optimizer update.
    public func declareWeight(_ weight: Tensor) {
        guard usesBF16, weight.dtype == .f32 else { return }
        packedWeights.declare(weight)
        packedWeights.discard(weight)
    }

    /// Products with at least this many rows are split over the cores by rows (each core
    /// multiplies its rows by the whole weight), fewer by weight columns. Measured on
    /// 1024 x 576 x 1536: 177 GFLOP/s split by rows, 101 by columns (2 cores).
    static let rowSplitMinimum = 64

    public func rmsNorm(_ x: Tensor, weight: Tensor, eps: Float) -> Tensor {
        let d = x.columns
        let out = uninitialized(x.shape)
        Parallel.forEach(x.rows, workPerItem: d * 4) { rows in
            for r in rows {
                let (src, dst) = (x.f32 + r * d, out.f32 + r * d)
                let inv = 1 / (dot(src, src, d) / Float(d) + eps).squareRoot()
                for c in 0..<d { dst[c] = src[c] * inv * weight.f32[c] }
            }
        }
        return out
    }

    public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float) -> Tensor {
        let d = x.columns
        let out = uninitialized(x.shape)
        Parallel.forEach(x.rows, workPerItem: d * 6) { rows in
            for r in rows {
                let (src, dst) = (x.f32 + r * d, out.f32 + r * d)
                var mean: Float = 0
                for c in 0..<d { mean += src[c] }
                mean /= Float(d)
                for c in 0..<d { dst[c] = src[c] - mean }
                let inv = 1 / (dot(dst, dst, d) / Float(d) + eps).squareRoot()
                for c in 0..<d { dst[c] = dst[c] * inv * weight.f32[c] + bias.f32[c] }
            }
        }
        return out
    }

    public func gelu(_ x: Tensor, approximation: GELUApproximation) -> Tensor {
        let out = uninitialized(x.shape)
        elementwise(x.count) { i, n in afina_gelu(x.f32 + i, out.f32 + i, n, approximation == .tanh ? 1 : 0) }
        return out
    }

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let (n, k, m) = (x.rows, x.columns, weight.rows)
        precondition(weight.columns == k, "linear: \(x) times \(weight)")
        // Every path below writes each output (no accumulation), so nothing is zeroed first:
        // a memset of every product's output was 8% of the main thread in a LoRA step.
        let out = uninitialized([n, m])
        if weight.dtype == .f32, multipliesNarrow(rows: n, k, m) {
            narrowLinear(x, weight, into: out)
        } else if weight.dtype == .f32, n >= Self.rowSplitMinimum, usesBF16 {
            bf16Product(x, weight, transposed: true, into: out)
        } else if weight.dtype == .f32, n >= Self.rowSplitMinimum, multipliesInDotForm(weightRows: m) {
            dotLinear(x, weight, into: out)
        } else if weight.dtype == .f32, n >= Self.rowSplitMinimum {
            Parallel.forEach(n, workPerItem: m * k) { r in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(r.count), Int32(m), Int32(k), 1,
                            x.f32 + r.lowerBound * k, Int32(k), weight.f32, Int32(k), 0, out.f32 + r.lowerBound * m, Int32(m))
            }
        } else if n <= 4 {
            rowDots(x, [(weight, out)])
        } else if weight.dtype == .f32 {
            Parallel.forEach(m, workPerItem: n * k) { r in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(r.count), Int32(k), 1, x.f32,
                            Int32(k), weight.f32 + r.lowerBound * k, Int32(k), 0, out.f32 + r.lowerBound, Int32(m))
            }
        } else if Self.multipliesInInt16(weight.dtype), !usesBF16 {
            int16Product(x, weight, into: out)
        } else {
            quantizedTiledGEMM(x, weight, out)
        }
        if let bias { addBias(bias, to: out) }
        return out
    }

    public func accumulateLinear(_ x: Tensor, weight: Tensor, alpha: Float, into y: Tensor) {
        let (n, k, m) = (x.rows, x.columns, weight.rows)
        precondition(weight.columns == k && y.rows == n && y.columns == m, "accumulateLinear: \(x) times \(weight) into \(y)")
        if weight.dtype == .f32, multipliesNarrow(rows: n, k, m) {
            narrowLinear(x, weight, alpha: alpha, into: y, accumulate: true)
        } else if weight.dtype == .f32, n >= Self.rowSplitMinimum, usesBF16 {
            // The kernel has no alpha: scale the input (LoRA's h, a few columns; for the usual
            // alpha = 2 · rank a power of two, so the same bits as scaling the product).
            let scaled = alpha == 1 ? x : uninitialized(x.shape)
            if alpha != 1 { elementwise(x.count) { i, n in for j in i..<i + n { scaled.f32[j] = x.f32[j] * alpha } } }
            bf16Product(scaled, weight, transposed: true, into: y, accumulate: true)
        } else {
            axpy(alpha, linear(x, weight: weight, bias: nil), into: y)
        }
    }

    /// Many rows of x (prefill, training): dequantize tiles of weight rows and multiply each
    /// with BLAS, so only a tile per core is ever expanded to float32.
    private func quantizedTiledGEMM(_ x: Tensor, _ weight: Tensor, _ out: Tensor) {
        let (n, k, m) = (x.rows, x.columns, weight.rows)
        // Tiles of up to 4 MiB of float32 (682 rows of 1536): each sgemm call packs x again, so
        // 1 MiB tiles had Qwen2.5-Coder 1.5B's 128-token prefill at 108 tok/s, these at 133.
        let tileRows = max(16, min(m, (1 << 20) / k))
        if usesBF16, n >= Self.rowSplitMinimum {
            return bf16QuantizedProduct(x, weight, into: out, tileRows: (tileRows + 31) / 32 * 32)
        }
        Parallel.forEach(m, workPerItem: n * k) { range in
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * k)
            defer { tile.deallocate() }
            for j0 in stride(from: range.lowerBound, to: range.upperBound, by: tileRows) {
                let rows = min(tileRows, range.upperBound - j0)
                Quant.dequantize(weight.dtype, weight.rowBytes(j0), into: tile, count: rows * k)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(rows), Int32(k),
                            1, x.f32, Int32(k), tile, Int32(k), 0, out.f32 + j0, Int32(m))
            }
        }
    }

    public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.count == b.count)
        let out = uninitialized(a.shape)
        elementwise(a.count) { i, n in
            var j = 0
            while j + 16 <= n { storeVec(loadVec(a.f32 + i + j) + loadVec(b.f32 + i + j), out.f32 + i + j); j += 16 }
            while j < n { out.f32[i + j] = a.f32[i + j] + b.f32[i + j]; j += 1 }
        }
        return out
    }

    public func swiglu(gate: Tensor, up: Tensor) -> Tensor {
        precondition(gate.count == up.count)
        let out = uninitialized(gate.shape)
        elementwise(gate.count) { i, n in afina_swiglu(gate.f32 + i, up.f32 + i, out.f32 + i, n) }
        return out
    }

    public func rope(_ x: Tensor, positions: [Int32], headDim: Int, invFreq: [Float]) -> Tensor {
        let half = headDim / 2
        let out = uninitialized(x.shape)
        let covered = (positions.min() ?? 0) >= 0 ? Int(positions.max() ?? 0) + 1 : Int.max
        let table = rotations.table(invFreq, covering: covered)
        Parallel.forEach(x.rows, workPerItem: x.columns * 4 + (table == nil ? half * 40 : 0)) { rows in
            let computed = UnsafeMutablePointer<Float>.allocate(capacity: 2 * half)
            defer { computed.deallocate() }
            for r in rows {
                let cosines: UnsafePointer<Float>
                if let table {
                    cosines = UnsafePointer(table.values + Int(positions[r]) * 2 * half)
                } else {
                    for i in 0..<half { (computed[i], computed[half + i]) = rotation(positions[r], invFreq[i]) }
                    cosines = UnsafePointer(computed)
                }
                let sines = cosines + half
                for h in 0..<(x.columns / headDim) {
                    let (src, dst) = (x.f32 + r * x.columns + h * headDim, out.f32 + r * x.columns + h * headDim)
                    for i in 0..<half {
                        let (x1, x2) = (src[i], src[i + half])
                        dst[i] = x1 * cosines[i] - x2 * sines[i]
                        dst[i + half] = x2 * cosines[i] + x1 * sines[i]
                    }
                }
            }
        }
        return out
    }

    public func attention(query: Tensor, keys: Tensor, values: Tensor, spans: [AttentionSpan],
                          heads: Int, kvHeads: Int, headDim: Int, scale: Float, bias: AttentionBias?) -> Tensor {
        let result = zeros(query.shape)
        let (qStride, kvStride) = (heads * headDim, kvHeads * headDim)
        // One job per (sequence, head, block of queries), so the cores share out the work evenly
        // whatever the head count (per (sequence, head), SmolLM2's 9 heads split 5 to 4).
        let blocks = spans.map { span in span.count == 1 ? [(0..<1, span.visibleKeys(0))] : attentionBlocks(span, bias: bias) }
        let jobs = spans.indices.flatMap { s in (0..<heads).flatMap { h in blocks[s].indices.map { (s, h, $0) } } }
        let work = spans.map { $0.count * $0.keyCount * headDim * 2 }.reduce(0, +) * heads
        let product = attentionProduct
        Parallel.forEach(jobs.count, workPerItem: work / max(jobs.count, 1)) { range in
            for (s, h, b) in jobs[range] {
                let (span, (rows, seen)) = (spans[s], blocks[s][b])
                let kvh = h / (heads / kvHeads)
                let q = query.f32 + span.queryRow * qStride + h * headDim
                let k = keys.f32 + span.keyRow * kvStride + kvh * headDim
                let v = values.f32 + span.keyRow * kvStride + kvh * headDim
                let out = result.f32 + span.queryRow * qStride + h * headDim
                if span.count == 1 {
                    // Decoding: plain SIMD loops over the keys it sees; BLAS calls this small
                    // cost more than they save.
                    let memory = Scratch<Float>(span.keyCount)
                    defer { memory.release() }
                    let scores = memory.pointer
                    for t in seen { scores[t] = dot(q, k + t * kvStride, headDim) * scale }
                    if let bias { bias.add(to: scores, head: h, query: span.past, keys: span.keyCount) }
                    softmaxInPlace(scores, valid: seen, total: span.keyCount)
                    for d in 0..<headDim { out[d] = 0 }
                    for t in seen { AfinaTensor.axpy(scores[t], v + t * kvStride, out, headDim) }
                    continue
                }
                // scores [rows, seen] = q [rows, hd] * k [seen, hd]^T * scale
                let (qb, width) = (q + rows.lowerBound * qStride, seen.count)
                let memory = Scratch<Float>(rows.count * width)
                defer { memory.release() }
                let scores = memory.pointer
                product(false, true, rows: rows.count, cols: width, inner: headDim, alpha: scale, qb, qStride,
                        k + seen.lowerBound * kvStride, kvStride, into: scores, width)
                for i in rows {
                    let row = scores + (i - rows.lowerBound) * width
                    if let bias { bias.add(to: row, head: h, query: span.past + i, keys: width) }
                    softmaxInPlace(row, valid: span.visibleKeys(i).shifted(by: -seen.lowerBound), total: width)
                }
                // out [rows, hd] = scores [rows, seen] * v [seen, hd]
                product(false, false, rows: rows.count, cols: headDim, inner: width, scores, width,
                        v + seen.lowerBound * kvStride, kvStride, into: out + rows.lowerBound * qStride, qStride)
            }
        }
        return result
    }
}

extension CPUBackend {
    /// Query blocks of 64 rows with the keys they see (an additive bias table is indexed from
    /// key 0, so with one the whole span is a single block).
    func attentionBlocks(_ span: AttentionSpan, bias: AttentionBias?) -> [(rows: Range<Int>, keys: Range<Int>)] {
        bias == nil ? span.queryBlocks(of: 64) : [(0..<span.count, 0..<span.keyCount)]
    }
}

extension Range<Int> {
    func shifted(by offset: Int) -> Range<Int> { lowerBound + offset..<upperBound + offset }
}

/// Softmax over the entries in `valid`; the others of the `total` (keys the query does not
/// see: future positions, outside the window, padding) become 0.
@inline(__always) func softmaxInPlace(_ p: UnsafeMutablePointer<Float>, valid: Range<Int>, total: Int) {
    let maxValue = maximum(p + valid.lowerBound, valid.count)
    let inv = 1 / afina_exp_shifted(p + valid.lowerBound, valid.count, maxValue)
    for t in valid { p[t] *= inv }
    for t in 0..<valid.lowerBound { p[t] = 0 }
    for t in valid.upperBound..<total { p[t] = 0 }
}

extension CPUBackend {
    /// body(start, count) over chunks of 0..<n, split over the cores when worth it.
    func elementwise(_ n: Int, _ body: (Int, Int) -> Void) {
        let chunk = 4096
        Parallel.forEach((n + chunk - 1) / chunk, workPerItem: chunk * 4) { blocks in
            let start = blocks.lowerBound * chunk
            body(start, min(blocks.upperBound * chunk, n) - start)
        }
    }
}
