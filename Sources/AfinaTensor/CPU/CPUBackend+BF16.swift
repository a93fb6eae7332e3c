// bfloat16 products for training (`CPUBackend(precision: .bf16)`): float32 tensors in and
// out, inputs rounded to bfloat16 inside the product, float32 accumulation; weights and
// optimizer state stay float32. Used where a product has enough rows to pay for packing.
// Packing a weight costs about as much as a third of its product, so the packed forms of
// declared weights are kept: a frozen base's for the whole run, a trained weight's until
// its next optimizer update.
import CAfinaKernels
import Foundation

/// Element type of the inputs of large matrix products.
public enum ProductPrecision: String, Sendable, CaseIterable {
    case fp32, bf16

    /// bf16 where this CPU has AVX-512 BF16, else fp32.
    public var available: ProductPrecision { self == .bf16 && !CPUFeatures.current.contains(.avx512bf16) ? .fp32 : self }
}

/// The kernel behind bf16 products: AMX tiles where the CPU has them and the OS grants the
/// tile state (Intel Xeon), else AVX-512 BF16 dot products in zmm registers (AMD EPYC).
/// Both take the same operands and give the same sums up to their order of addition.
public enum BF16Kernel: String, Sendable, CaseIterable, KernelChoice {
    case avx512bf16, amx

    public var isAvailable: Bool {
        CPUFeatures.current.isSuperset(of: self == .amx ? [.amxBF16, .avx512bf16] : .avx512bf16)
    }

    /// The fastest kernel here; AFINA_BF16_KERNEL=avx512bf16 picks the other where both run
    /// (for comparisons).
    public static let best = chosen(fastest: amx.isAvailable ? .amx : .avx512bf16, variable: "AFINA_BF16_KERNEL", what: "bf16")

    public var summary: String {
        self == .amx ? "bf16 inputs, fp32 sums: AMX tiles (tdpbf16ps), AVX-512 BF16 for leftover rows"
            : "bf16 inputs, fp32 sums: AVX-512 BF16 tiles (vdpbf16ps)"
    }

    /// afina_bf16_gemm's contract on this kernel.
    func gemm(_ a: UnsafePointer<UInt16>, _ k: Int, _ packed: UnsafePointer<UInt16>, _ m: Int, _ c: UnsafeMutablePointer<Float>,
              _ ldc: Int, accumulate: Bool, _ row0: Int, _ row1: Int) {
        let run = self == .amx ? afina_amx_bf16_gemm : afina_bf16_gemm
        run(a, k, packed, m, c, ldc, accumulate ? 1 : 0, row0, row1)
    }
}

/// A right-hand side packed into 32-column panels of bfloat16 k-pairs.
final class PackedBF16: @unchecked Sendable {
    private let memory: Scratch<UInt16>
    var values: UnsafeMutablePointer<UInt16> { memory.pointer }
    init(count: Int) { memory = Scratch(count) }
    deinit { memory.release() }
}

/// Packed forms of declared weights, holding each weight so its identity cannot be reused.
/// A trainable weight's forms are packed once per step rather than once per product: the
/// optimizer's update makes them stale (`discard`), and the next product packs the weight
/// again into the same memory (fresh memory each step faulted in its pages again, 2.4% of a
/// full bf16 step).
final class PackedWeightCache: @unchecked Sendable {
    private var entries: [ObjectIdentifier: (weight: Tensor, forms: [Bool: (packed: PackedBF16, current: Bool)])] = [:]
    private let lock = NSLock()

    func declare(_ weight: Tensor) {
        lock.withLock { if entries[ObjectIdentifier(weight)] == nil { entries[ObjectIdentifier(weight)] = (weight, [:]) } }
    }

    /// Marks the packed forms of `weight` stale (its values are about to change).
    func discard(_ weight: Tensor) {
        lock.withLock {
            guard var entry = entries[ObjectIdentifier(weight)] else { return }
            for key in entry.forms.keys { entry.forms[key]!.current = false }
            entries[ObjectIdentifier(weight)] = entry
        }
    }

    /// The packed form of a declared weight, made (`pack`, given the stale form's memory to
    /// fill, if any) where none is current; nil for other tensors.
    func packed(_ weight: Tensor, transposed: Bool, pack: (PackedBF16?) -> PackedBF16) -> PackedBF16? {
        lock.withLock {
            guard var entry = entries[ObjectIdentifier(weight)] else { return nil }
            if let form = entry.forms[transposed], form.current { return form.packed }
            let packed = pack(entry.forms[transposed]?.packed)
            entry.forms[transposed] = (packed, true)
            entries[ObjectIdentifier(weight)] = entry
            return packed
        }
    }
}

extension CPUBackend {
    var usesBF16: Bool { precision == .bf16 }

    /// B [k, m] (row stride `ldb`) or, `transposed`, B given as Bᵀ [m, k], packed in parallel
    /// (into `memory`, a form of the same size, where given).
    private func pack(_ b: UnsafePointer<Float>, ldb: Int, transposed: Bool, k: Int, m: Int,
                      into memory: PackedBF16? = nil) -> PackedBF16 {
        let packed = memory ?? PackedBF16(count: afina_bf16_packed_size(k, m))
        Parallel.forEach((m + 31) / 32, workPerItem: k * 32) { panels in
            afina_bf16_pack_b(b, ldb, transposed ? 1 : 0, k, m, packed.values, panels.lowerBound, panels.upperBound)
        }
        return packed
    }

    /// c [n, m] = A [n, k] B (c += that with `accumulate`), with B = weightᵀ (`transposed`,
    /// weight [m, k]) or B = weight ([k, m]); all float32 with row-major rows.
    func bf16Product(_ a: Tensor, _ weight: Tensor, transposed: Bool, into c: Tensor, accumulate: Bool = false) {
        let (n, k) = (a.rows, a.columns)
        let m = transposed ? weight.rows : weight.columns
        let make = { (memory: PackedBF16?) in
            self.pack(weight.f32, ldb: weight.columns, transposed: transposed, k: k, m: m, into: memory)
        }
        let packed = packedWeights.packed(weight, transposed: transposed, pack: make) ?? make(nil)
        let rows = Scratch<UInt16>(n * afina_bf16_row_width(k))
        defer { rows.release() }
        Parallel.forEach(n, workPerItem: k * m) { r in
            afina_bf16_convert_a(a.f32, k, k, rows.pointer, r.lowerBound, r.upperBound)
            self.bf16Kernel.gemm(rows.pointer, k, packed.values, m, c.f32, m, accumulate: accumulate, r.lowerBound,
                                 r.upperBound)
        }
        withExtendedLifetime(packed) {}
    }

    /// gradient [m, k] += alpha · dyᵀ [m, n] x [n, k]: the products over tokens of backward.
    func bf16WeightGradient(_ dy: Tensor, _ x: Tensor, alpha: Float, into gradient: Tensor) {
        let (n, m, k) = (dy.rows, dy.columns, x.columns)
        let packed = pack(x.f32, ldb: k, transposed: false, k: n, m: k)
        let rows = Scratch<UInt16>(m * afina_bf16_row_width(n))
        defer { rows.release() }
        Parallel.forEach(m, workPerItem: n * k) { r in
            afina_bf16_convert_at(dy.f32, m, n, alpha, rows.pointer, r.lowerBound, r.upperBound)
            self.bf16Kernel.gemm(rows.pointer, n, packed.values, k, gradient.f32, k, accumulate: true, r.lowerBound, r.upperBound)
        }
        withExtendedLifetime(packed) {}
    }
}

// A quantized weight (QLoRA's frozen base) in bf16 products: tiles of its rows are dequantized
// and packed inside each product, so no more than a tile per core is ever expanded.
extension CPUBackend {
    /// Weight rows [row0, row0 + rows) dequantized (into `scratch`) and packed into `packed`:
    /// as the columns of B (`transposed`, for x·Wᵀ) or as rows of B (for dy·W).
    private func packQuantizedRows(_ weight: Tensor, _ row0: Int, _ rows: Int, transposed: Bool,
                                   scratch: UnsafeMutablePointer<Float>, into packed: UnsafeMutablePointer<UInt16>) {
        let width = weight.columns
        Quant.dequantize(weight.dtype, weight.rowBytes(row0), into: scratch, count: rows * width)
        let (k, m) = transposed ? (width, rows) : (rows, width)
        afina_bf16_pack_b(scratch, width, transposed ? 1 : 0, k, m, packed, 0, (m + 31) / 32)
    }

    /// out [n, m] = x [n, k] · weightᵀ for a quantized weight [m, k]; the cores split the weight's
    /// rows (output columns), `tileRows` at a time.
    func bf16QuantizedProduct(_ x: Tensor, _ weight: Tensor, into out: Tensor, tileRows: Int) {
        let (n, k, m) = (x.rows, x.columns, weight.rows)
        let rows = Scratch<UInt16>(n * afina_bf16_row_width(k))
        defer { rows.release() }
        Parallel.forEach(n, workPerItem: k) { r in afina_bf16_convert_a(x.f32, k, k, rows.pointer, r.lowerBound, r.upperBound) }
        Parallel.forEach(m, workPerItem: n * k) { range in
            let (scratch, packed) = (Scratch<Float>(tileRows * k), Scratch<UInt16>(afina_bf16_packed_size(k, tileRows)))
            defer { scratch.release(); packed.release() }
            for j0 in stride(from: range.lowerBound, to: range.upperBound, by: tileRows) {
                let count = min(tileRows, range.upperBound - j0)
                packQuantizedRows(weight, j0, count, transposed: true, scratch: scratch.pointer, into: packed.pointer)
                self.bf16Kernel.gemm(rows.pointer, k, packed.pointer, count, out.f32 + j0, m, accumulate: false, 0, n)
            }
        }
    }

    /// out [n, m] += a [n, k] · weight for a quantized weight [k, m] (backward's dy·W); the cores
    /// split a's rows and each expands the weight `tileRows` rows at a time.
    func bf16QuantizedMatmul(_ a: Tensor, _ weight: Tensor, into out: Tensor, tileRows: Int) {
        let (k, m) = (a.columns, weight.columns)
        Parallel.forEach(a.rows, workPerItem: k * m) { r in
            let (scratch, packed) = (Scratch<Float>(tileRows * m), Scratch<UInt16>(afina_bf16_packed_size(tileRows, m)))
            let rows = Scratch<UInt16>(r.count * afina_bf16_row_width(tileRows))
            defer { scratch.release(); packed.release(); rows.release() }
            for p0 in stride(from: 0, to: k, by: tileRows) {
                let count = min(tileRows, k - p0)
                packQuantizedRows(weight, p0, count, transposed: false, scratch: scratch.pointer, into: packed.pointer)
                afina_bf16_convert_a(a.f32 + r.lowerBound * k + p0, k, count, rows.pointer, 0, r.count)
                self.bf16Kernel.gemm(rows.pointer, count, packed.pointer, m, out.f32 + r.lowerBound * m, m, accumulate: true,
                                     0, r.count)
            }
        }
    }
}
