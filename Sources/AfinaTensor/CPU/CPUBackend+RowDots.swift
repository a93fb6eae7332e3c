// Decoding's products: few rows of x against a quantized weight, one fused dot per (weight row,
// activation row), with the activations as they are (float32) or rounded to int16 per block
// (DecodeDotKernel.int16, where the CPU has AVX-512).
import CAfinaKernels

extension CPUBackend {
    /// Few rows of x (decoding) against several weights at once (q, k and v; gate and up):
    /// their rows share one hand-off to the cores, and k and v, each too small to split
    /// alone, are split with q.
    public func linear(_ x: Tensor, weights: [(weight: Tensor, bias: Tensor?)]) -> [Tensor] {
        guard x.rows <= 4, weights.count > 1 else { return weights.map { linear(x, weight: $0.weight, bias: $0.bias) } }
        let outs = weights.map { uninitialized([x.rows, $0.weight.rows]) }
        rowDots(x, zip(weights, outs).map { ($0.weight, $1) })
        for (w, out) in zip(weights, outs) { if let bias = w.bias { addBias(bias, to: out) } }
        return outs
    }

    func addBias(_ bias: Tensor, to out: Tensor) {
        let m = out.columns
        for r in 0..<out.rows { for j in 0..<m { out.f32[r * m + j] += bias.f32[j] } }
    }

    /// Few rows of x (decoding): each weight row is read once and dotted with every x row by a
    /// fused C kernel (Q4_0, Q4_1, Q5_0, Q8_0, Q4_K, Q5_K, Q6_K) or after dequantizing it into
    /// `row` (other types). Each output is one dot product, computed the same way whatever the
    /// number of rows or of products, so sequences decoded together get the logits they get
    /// alone. The products' rows are split over the cores as one list.
    func rowDots(_ x: Tensor, _ products: [(weight: Tensor, out: Tensor)]) {
        let (n, k) = (x.rows, x.columns)
        let kernel = DecodeDotKernel.best
        let blocks = Set(products.compactMap { kernel.int16Block(for: $0.weight.dtype) })
        let int16 = (blocks.contains(32) ? Int16Activations(x, block: 32) : nil,
                     blocks.contains(256) ? Int16Activations(x, block: 256) : nil)
        defer { int16.0?.deallocate(); int16.1?.deallocate() }
        // Q4_K/Q5_K meet their mins, and Q4_1 on AVX-512 its m, with each activation row's
        // exact 32-value sums, made once here.
        let needsSums = products.contains { [.q4_K, .q5_K].contains($0.weight.dtype) || kernel.q4_1(for: $0.weight.dtype) }
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: needsSums ? n * k / 32 : 0)
        defer { sums.deallocate() }
        if needsSums { for i in 0..<n { afina_sub_block_sums(x.f32 + i * k, k, sums + i * k / 32) } }
        let starts = products.reduce(into: [0]) { $0.append($0.last! + $1.weight.rows) }
        Parallel.forEach(starts.last!, workPerItem: k * n) { range in
            let row = UnsafeMutablePointer<Float>.allocate(capacity: k)
            defer { row.deallocate() }
            for (p, (weight, out)) in products.enumerated() {
                let (first, end) = (max(range.lowerBound, starts[p]), min(range.upperBound, starts[p + 1]))
                guard first < end else { continue }
                let block = kernel.int16Block(for: weight.dtype)
                dotRows(x, weight, out, first - starts[p]..<end - starts[p],
                        int16: block == 32 ? int16.0 : block == 256 ? int16.1 : nil, sums: sums, row: row)
            }
        }
    }

    /// Rows `rows` of one product (see rowDots).
    private func dotRows(_ x: Tensor, _ weight: Tensor, _ out: Tensor, _ rows: Range<Int>, int16: Int16Activations?,
                         sums: UnsafeMutablePointer<Float>, row: UnsafeMutablePointer<Float>) {
        let (n, k, m) = (x.rows, x.columns, weight.rows)
        let type = weight.dtype
        // ggml's 32-value blocks with float activations: one fused dot per (weight row, activation row).
        let blockDot: (@convention(c) (UnsafeRawPointer?, UnsafePointer<Float>?, Int32) -> Float)? = switch type {
        case .q4_0: afina_dot_q4_0
        case .q4_1: afina_dot_q4_1
        case .q5_0: afina_dot_q5_0
        case .q8_0: afina_dot_q8_0
        default: nil
        }
        let blocks = Int32(k / 32), superBlocks = Int32(k / 256), q4_1AVX512 = DecodeDotKernel.best.q4_1(for: type)
        for j in rows {
            let w = weight.rowBytes(j)
            if let a = int16 {
                switch type {
                case .q4_K: afina_dot_q4_k_i16(w, a.q, a.scales, k, sums, Int32(n), out.f32 + j, m, superBlocks)
                case .q5_K: afina_dot_q5_k_i16(w, a.q, a.scales, k, sums, Int32(n), out.f32 + j, m, superBlocks)
                case .q6_K: afina_dot_q6_k_i16(w, a.q, a.scales, k, Int32(n), out.f32 + j, m, superBlocks)
                default:
                    for i in 0..<n {
                        let (xq, xd) = (a.q + i * k, a.scales + i * k / 32)
                        out.f32[i * m + j] = type == .q5_0 ? afina_dot_q5_0_i16(w, xq, xd, blocks)
                            : afina_dot_q8_0_i16(w, xq, xd, blocks)
                    }
                }
                continue
            }
            if q4_1AVX512 {
                afina_dot_q4_1_512(w, x.f32, k, sums, Int32(n), out.f32 + j, m, blocks)
                continue
            }
            if let blockDot {
                for i in 0..<n { out.f32[i * m + j] = blockDot(w, x.f32 + i * k, blocks) }
                continue
            }
            switch type {
            case .f32: for i in 0..<n { out.f32[i * m + j] = dot(x.f32 + i * k, weight.f32 + j * k, k) }
            case .q4_K: DecodeDotKernel.best.q4K(w, x.f32, k, sums, Int32(n), out.f32 + j, m, superBlocks)
            case .q5_K: DecodeDotKernel.best.q5K(w, x.f32, k, sums, Int32(n), out.f32 + j, m, superBlocks)
            case .q6_K: DecodeDotKernel.best.q6K(w, x.f32, k, Int32(n), out.f32 + j, m, superBlocks)
            default:
                Quant.dequantize(type, w, into: row, count: k)
                for i in 0..<n { out.f32[i * m + j] = dot(x.f32 + i * k, row, k) }
            }
        }
    }
}

/// The rows of x rounded to int16 per block of 32 or 256 values (afina_quantize_i16), with
/// each block's scale, made once per product. A struct of pointers, freed by its maker: the
/// worker threads share it without reference counting (a class's retains and releases from
/// both threads took half of SmolLM2's decode time).
struct Int16Activations {
    let q: UnsafeMutablePointer<Int16>, scales: UnsafeMutablePointer<Float>

    init(_ x: Tensor, block: Int) {
        let count = x.rows * x.columns
        q = .allocate(capacity: count)
        scales = .allocate(capacity: count / block)
        afina_quantize_i16(x.f32, count, Int32(block), q, scales)
    }

    func deallocate() {
        q.deallocate()
        scales.deallocate()
    }
}
