// Fast training ops of the CPU backend: large products go to OpenBLAS (or the bf16 kernels, or
// for input gradients the float32 tile kernel) on slices split by the worker pool, as in the
// forward; attention's backward recomputes softmax in one job per (sequence, query head), a
// block of queries at a time.
import CAfinaKernels
import COpenBLAS
import Foundation

extension CPUBackend: TrainingBackend {
    public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (n, k, m) = (a.rows, a.columns, b.columns)
        precondition(b.rows == k, "matmul: \(a) times \(b)")
        // Only the quantized paths accumulate into the output (see `linear`).
        let out = b.dtype == .f32 ? uninitialized([n, m]) : zeros([n, m])
        if b.dtype == .f32, multipliesOnTiles(rows: n, k, m) {
            tiledMatmul(a, b, into: out)
            return out
        }
        if b.dtype == .f32, n >= Self.rowSplitMinimum, usesBF16 {
            bf16Product(a, b, transposed: false, into: out)
            return out
        }
        if b.dtype == .f32, n >= Self.rowSplitMinimum {
            Parallel.forEach(n, workPerItem: m * k) { r in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(r.count), Int32(m), Int32(k), 1,
                            a.f32 + r.lowerBound * k, Int32(k), b.f32, Int32(m), 0, out.f32 + r.lowerBound * m, Int32(m))
            }
            return out
        }
        if b.dtype == .f32 {
            Parallel.forEach(m, workPerItem: n * k) { r in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(r.count), Int32(k), 1, a.f32,
                            Int32(k), b.f32 + r.lowerBound, Int32(m), 0, out.f32 + r.lowerBound, Int32(m))
            }
            return out
        }
        // A quantized frozen weight: each core expands tiles of its rows and accumulates.
        let tileRows = max(16, min(k, (1 << 18) / m))
        if usesBF16, n >= Self.rowSplitMinimum {
            bf16QuantizedMatmul(a, b, into: out, tileRows: (tileRows + 1) / 2 * 2)
            return out
        }
        Parallel.forEach(n, workPerItem: k * m) { r in
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * m)
            defer { tile.deallocate() }
            for p0 in stride(from: 0, to: k, by: tileRows) {
                let rows = min(tileRows, k - p0)
                Quant.dequantize(b.dtype, b.rowBytes(p0), into: tile, count: rows * m)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(r.count), Int32(m), Int32(rows), 1,
                            a.f32 + r.lowerBound * k + p0, Int32(k), tile, Int32(m), 1, out.f32 + r.lowerBound * m, Int32(m))
            }
        }
        return out
    }

    public func accumulateMatmul(_ a: Tensor, _ b: Tensor, into y: Tensor) {
        let (n, k, m) = (a.rows, a.columns, b.columns)
        precondition(b.rows == k && y.rows == n && y.columns == m, "accumulateMatmul: \(a) times \(b) into \(y)")
        if b.dtype == .f32, multipliesOnTiles(rows: n, k, m) {
            tiledMatmul(a, b, into: y, accumulate: true)
        } else if b.dtype == .f32, n >= Self.rowSplitMinimum, usesBF16 {
            bf16Product(a, b, transposed: false, into: y, accumulate: true)
        } else {
            axpy(1, matmul(a, b), into: y)
        }
    }

    public func accumulateWeightGradient(_ dy: Tensor, _ x: Tensor, alpha: Float, into gradient: Tensor) {
        let (n, m, k) = (dy.rows, dy.columns, x.columns)
        precondition(x.rows == n && gradient.rows == m && gradient.columns == k)
        if accumulatesNarrow(rows: n, m, k) { return narrowWeightGradient(dy, x, alpha: alpha, into: gradient) }
        if usesBF16, min(n, m, k) >= Self.rowSplitMinimum { return bf16WeightGradient(dy, x, alpha: alpha, into: gradient) }
        // OpenBLAS packs a slice's dy columns whole into its per-thread buffer, and those pages
        // stay resident: the output head's slices (24,576 of SmolLM2's 49,152 rows, 256 tokens)
        // touched 25 MB each. Slices of at most 4 MiB of dy cost nothing measurable.
        let sliceRows = max(64, (4 << 20) / (4 * max(n, 1)))
        Parallel.forEach(m, workPerItem: n * k) { r in
            for i in stride(from: r.lowerBound, to: r.upperBound, by: sliceRows) {
                let rows = min(sliceRows, r.upperBound - i)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(rows), Int32(k), Int32(n), alpha,
                            dy.f32 + i, Int32(m), x.f32, Int32(k), 1, gradient.f32 + i * k, Int32(k))
            }
        }
    }

    public func attentionBackward(_ dy: Tensor, query: Tensor, keys: Tensor, values: Tensor, spans: [AttentionSpan],
                                  heads: Int, kvHeads: Int, headDim: Int, scale: Float, bias: AttentionBias?,
                                  biasGradient: Tensor?, output: Tensor?) -> (query: Tensor, keys: Tensor, values: Tensor) {
        let (dq, dk, dv) = (zeros(query.shape), zeros(keys.shape), zeros(values.shape))
        let (qStride, kvStride) = (heads * headDim, kvHeads * headDim)
        let group = heads / kvHeads
        // One job per (sequence, query head), so the cores share out every head (per key/value
        // head, SmolLM2's 3 left one of two cores idle a third of the time, Gemma 3 270M's
        // single one half). A group's first head adds its key and value gradients into dk and
        // dv; the others add theirs into scratch, summed in after.
        let jobs = spans.flatMap { span in (0..<heads).map { (span, $0) } }
        var scratchOffsets: [Int] = [], scratchCount = 0
        for (span, h) in jobs {
            scratchOffsets.append(scratchCount)
            if h % group != 0 { scratchCount += 2 * span.keyCount * headDim }
        }
        let partials = Scratch<Float>(scratchCount)
        defer { partials.release() }
        partials.pointer.initialize(repeating: 0, count: scratchCount)
        let work = spans.map { $0.count * $0.keyCount * headDim * 5 }.reduce(0, +) * heads
        // Every job adds into the whole bias gradient table, so the jobs run one at a time then.
        let minimumWork = biasGradient == nil ? 200_000 : Int.max
        let product = attentionProduct
        Parallel.forEach(jobs.count, workPerItem: work / max(jobs.count, 1), minimumWork: minimumWork) { range in
            for j in range {
                let (span, h) = jobs[j]
                let (n, visible) = (span.count, span.keyCount)
                let (pScratch, dpScratch) = (Scratch<Float>(n * visible), Scratch<Float>(n * visible))
                defer { pScratch.release(); dpScratch.release() }
                let (p, dp) = (pScratch.pointer, dpScratch.pointer)
                let kvOffset = span.keyRow * kvStride + (h / group) * headDim
                let (k, v) = (keys.f32 + kvOffset, values.f32 + kvOffset)
                let ownsKV = h % group == 0
                let ldkv = ownsKV ? kvStride : headDim
                let dkh = ownsKV ? dk.f32 + kvOffset : partials.pointer + scratchOffsets[j]
                let dvh = ownsKV ? dv.f32 + kvOffset : dkh + visible * headDim
                let qOffset = span.queryRow * qStride + h * headDim
                let (q, dyh, dqh) = (query.f32 + qOffset, dy.f32 + qOffset, dq.f32 + qOffset)
                for (rows, seen) in attentionBlocks(span, bias: bias) {
                    let (nb, width, lo) = (rows.count, seen.count, seen.lowerBound)
                    let rowOffset = rows.lowerBound * qStride
                    let (qb, dyb, dqb) = (q + rowOffset, dyh + rowOffset, dqh + rowOffset)
                    let (kb, vb, dkb, dvb) = (k + lo * kvStride, v + lo * kvStride, dkh + lo * ldkv, dvh + lo * ldkv)
                    // P = softmax(Q Kᵀ * scale + bias) [rows, seen], as the forward computed it.
                    product(false, true, rows: nb, cols: width, inner: headDim, alpha: scale, qb, qStride, kb, kvStride,
                            into: p, width)
                    for i in rows {
                        let row = p + (i - rows.lowerBound) * width
                        if let bias { bias.add(to: row, head: h, query: span.past + i, keys: width) }
                        softmaxInPlace(row, valid: span.visibleKeys(i).shifted(by: -lo), total: width)
                    }
                    if let output {  // the forward's P V, for the caller
                        product(false, false, rows: nb, cols: headDim, inner: width, p, width, vb, kvStride,
                                into: output.f32 + qOffset + rowOffset, qStride)
                    }
                    // dV += Pᵀ dY;  dP = dY Vᵀ;  dS = P ⊙ (dP - rowsum(P ⊙ dP)) * scale.
                    product(true, false, rows: width, cols: headDim, inner: nb, p, width, dyb, qStride, accumulate: true,
                            into: dvb, ldkv)
                    product(false, true, rows: nb, cols: width, inner: headDim, dyb, qStride, vb, kvStride, into: dp, width)
                    for i in rows {
                        let (pr, dpr) = (p + (i - rows.lowerBound) * width, dp + (i - rows.lowerBound) * width)
                        let weighted = dot(pr, dpr, width)
                        for t in 0..<width { dpr[t] = pr[t] * (dpr[t] - weighted) }
                        if let biasGradient, let bias {
                            let g = biasGradient.f32 + bias.index(head: h, query: span.past + i, key: 0)
                            for t in span.visibleKeys(i) { g[t] += dpr[t - lo] }
                        }
                        for t in 0..<width { dpr[t] *= scale }
                    }
                    // dQ = dS K;  dK += dSᵀ Q.
                    product(false, false, rows: nb, cols: headDim, inner: width, dp, width, kb, kvStride, into: dqb, qStride)
                    product(true, false, rows: width, cols: headDim, inner: nb, dp, width, qb, qStride, accumulate: true,
                            into: dkb, ldkv)
                }
            }
        }
        for (j, (span, h)) in jobs.enumerated() where h % group != 0 {
            let rows = span.keyCount
            let partial = partials.pointer + scratchOffsets[j]
            let kvOffset = span.keyRow * kvStride + (h / group) * headDim
            for t in 0..<rows {
                AfinaTensor.axpy(1, partial + t * headDim, dk.f32 + kvOffset + t * kvStride, headDim)
                AfinaTensor.axpy(1, partial + (rows + t) * headDim, dv.f32 + kvOffset + t * kvStride, headDim)
            }
        }
        return (dq, dk, dv)
    }

    public func crossEntropy(_ logits: Tensor, targets: [Int32], scale: Float) -> Double {
        let v = logits.columns
        precondition(logits.rows == targets.count)
        var losses = [Double](repeating: 0, count: targets.count)
        losses.withUnsafeMutableBufferPointer { losses in
            Parallel.forEach(targets.count, workPerItem: v * 8) { range in
                for r in range {
                    let row = logits.f32 + r * v
                    let maxLogit = maximum(row, v)
                    let target = row[Int(targets[r])] - maxLogit
                    let sum = afina_exp_shifted(row, v, maxLogit)
                    losses[r] = Double(logf(sum) - target)
                    let factor = scale / sum
                    var j = 0
                    while j + 16 <= v { storeVec(loadVec(row + j) * factor, row + j); j += 16 }
                    while j < v { row[j] *= factor; j += 1 }
                    row[Int(targets[r])] -= scale
                }
            }
        }
        return losses.reduce(0, +)
    }

    public func distillationLoss(_ logits: Tensor, targets: [Int32], teacher: TeacherDistribution,
                                 _ loss: DistillationLoss, scale: Float) -> DistillationTerms {
        precondition(logits.rows == targets.count && teacher.rows == targets.count)
        let v = logits.columns
        var terms = [DistillationTerms](repeating: DistillationTerms(), count: targets.count)
        terms.withUnsafeMutableBufferPointer { terms in
            Parallel.forEach(targets.count, workPerItem: v * 40) { range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 3 * v)
                defer { scratch.deallocate() }
                for r in range {
                    terms[r] = loss.row(r, of: logits, target: targets[r], teacher: teacher, scale: scale, scratch: scratch)
                }
            }
        }
        return terms.reduce(DistillationTerms(), +)
    }

    // MARK: Elementwise ops, split over the cores

    public func axpy(_ alpha: Float, _ x: Tensor, into y: Tensor) {
        precondition(x.count == y.count, "axpy: \(x) into \(y)")
        elementwise(x.count) { i, n in AfinaTensor.axpy(alpha, x.f32 + i, y.f32 + i, n) }
    }

    public func multiply(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.count == b.count)
        let out = uninitialized(a.shape)
        elementwise(a.count) { i, n in for j in i..<i + n { out.f32[j] = a.f32[j] * b.f32[j] } }
        return out
    }

    public func sumOfSquares(_ x: Tensor) -> Double {
        let chunks = min(Parallel.cores, max(1, x.count / 65536))
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { partial in
            WorkerPool.shared.run(chunks) { c in
                partial[c] = AfinaTensor.sumOfSquares(x.f32, x.count * c / chunks..<x.count * (c + 1) / chunks)
            }
        }
        return partial.reduce(0, +)
    }

    // Updates drop the weight's packed forms first (see PackedWeightCache).
    public func adamW(_ parameter: Tensor, gradient: Tensor, m: Tensor, v: Tensor, _ s: AdamWStep) {
        packedWeights.discard(parameter)
        withUnsafePointer(to: s.scalars) { scalars in
            elementwise(parameter.count) { i, n in
                afina_adamw(parameter.f32 + i, gradient.f32 + i, m.f32 + i, v.f32 + i, n, scalars)
            }
        }
    }

    public func sgd(_ parameter: Tensor, gradient: Tensor, momentumBuffer: Tensor?, learningRate: Float,
                    momentum: Float, weightDecay: Float, firstStep: Bool) {
        packedWeights.discard(parameter)
        elementwise(parameter.count) { i, n in
            sgdUpdate(parameter, gradient: gradient, momentumBuffer: momentumBuffer, learningRate: learningRate,
                      momentum: momentum, weightDecay: weightDecay, firstStep: firstStep, i..<i + n)
        }
    }

    public func scale(_ x: Tensor, by factor: Float) {
        elementwise(x.count) { i, n in for j in i..<i + n { x.f32[j] *= factor } }
    }

    public func swigluBackward(_ dy: Tensor, gate: Tensor, up: Tensor) -> (gate: Tensor, up: Tensor) {
        let (dGate, dUp) = (uninitialized(gate.shape), uninitialized(up.shape))
        elementwise(gate.count) { i, n in
            afina_swiglu_backward(dy.f32 + i, gate.f32 + i, up.f32 + i, dGate.f32 + i, dUp.f32 + i, n)
        }
        return (dGate, dUp)
    }

    public func geluBackward(_ dy: Tensor, x: Tensor, approximation: GELUApproximation) -> Tensor {
        precondition(dy.count == x.count)
        let dx = uninitialized(x.shape)
        elementwise(x.count) { i, n in afina_gelu_backward(dy.f32 + i, x.f32 + i, dx.f32 + i, n, approximation == .tanh ? 1 : 0) }
        return dx
    }

    public func rmsNormBackward(_ dy: Tensor, x: Tensor, weight: Tensor, eps: Float, weightGradient: Tensor?) -> Tensor {
        // As the reference; rows split over the cores, each chunk summing its own weight gradient.
        let (n, d) = (x.rows, x.columns)
        let dx = uninitialized(x.shape)
        let chunks = min(Parallel.cores, n)
        let partial = zeros([chunks, d])
        WorkerPool.shared.run(chunks) { c in
            let g = partial.f32 + c * d
            let scaled = UnsafeMutablePointer<Float>.allocate(capacity: d)
            defer { scaled.deallocate() }
            for row in n * c / chunks..<n * (c + 1) / chunks {
                let (xs, dys, dxs) = (x.f32 + row * d, dy.f32 + row * d, dx.f32 + row * d)
                for j in 0..<d { scaled[j] = dys[j] * weight.f32[j] }
                let r = 1 / (dot(xs, xs, d) / Float(d) + eps).squareRoot()
                let k = r * r * r * dot(scaled, xs, d) / Float(d)
                for j in 0..<d { dxs[j] = r * scaled[j] - xs[j] * k }
                if weightGradient != nil { for j in 0..<d { g[j] += dys[j] * xs[j] * r } }
            }
        }
        if let weightGradient {
            for c in 0..<chunks { AfinaTensor.axpy(1, partial.f32 + c * d, weightGradient.f32, d) }
        }
        return dx
    }
}
