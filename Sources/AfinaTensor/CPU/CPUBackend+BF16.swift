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

/// A right-hand side packed into 32-column panels of bfloat16 k-pairs.
final class PackedBF16: @unchecked Sendable {
    let values: UnsafeMutablePointer<UInt16>
    init(count: Int) { values = .allocate(capacity: count) }
    deinit { values.deallocate() }
}

/// Packed forms of declared weights, holding each weight so its identity cannot be reused.
/// A trainable weight's forms live until the optimizer updates it (`discard`), so each is
/// packed once per step rather than once per product.
final class PackedWeightCache: @unchecked Sendable {
    private var entries: [ObjectIdentifier: (weight: Tensor, forms: [Bool: PackedBF16])] = [:]
    private let lock = NSLock()

    func declare(_ weight: Tensor) {
        lock.withLock { if entries[ObjectIdentifier(weight)] == nil { entries[ObjectIdentifier(weight)] = (weight, [:]) } }
    }

    /// Drops the packed forms of `weight` (its values are about to change).
    func discard(_ weight: Tensor) {
        lock.withLock { entries[ObjectIdentifier(weight)]?.forms = [:] }
    }

    /// The packed form of a declared weight (made on first use), or nil for other tensors.
    func packed(_ weight: Tensor, transposed: Bool, make: () -> PackedBF16) -> PackedBF16? {
        lock.withLock {
            guard var entry = entries[ObjectIdentifier(weight)] else { return nil }
            if let form = entry.forms[transposed] { return form }
            let form = make()
            entry.forms[transposed] = form
            entries[ObjectIdentifier(weight)] = entry
            return form
        }
    }
}

extension CPUBackend {
    var usesBF16: Bool { precision == .bf16 }

    /// B [k, m] (row stride `ldb`) or, `transposed`, B given as Bᵀ [m, k], packed in parallel.
    private func pack(_ b: UnsafePointer<Float>, ldb: Int, transposed: Bool, k: Int, m: Int) -> PackedBF16 {
        let packed = PackedBF16(count: afina_bf16_packed_size(k, m))
        Parallel.forEach((m + 31) / 32, workPerItem: k * 32) { panels in
            afina_bf16_pack_b(b, ldb, transposed ? 1 : 0, k, m, packed.values, panels.lowerBound, panels.upperBound)
        }
        return packed
    }

    /// c [n, m] = A [n, k] B, with B = weightᵀ (`transposed`, weight [m, k]) or B = weight
    /// ([k, m]); all float32 with row-major rows.
    func bf16Product(_ a: Tensor, _ weight: Tensor, transposed: Bool, into c: Tensor) {
        let (n, k) = (a.rows, a.columns)
        let m = transposed ? weight.rows : weight.columns
        let make = { self.pack(weight.f32, ldb: weight.columns, transposed: transposed, k: k, m: m) }
        let packed = packedWeights.packed(weight, transposed: transposed, make: make) ?? make()
        let rows = UnsafeMutablePointer<UInt16>.allocate(capacity: n * 2 * ((k + 1) / 2))
        defer { rows.deallocate() }
        Parallel.forEach(n, workPerItem: k * m) { r in
            afina_bf16_convert_a(a.f32, k, rows, r.lowerBound, r.upperBound)
            afina_bf16_gemm(rows, k, packed.values, m, c.f32, m, 0, r.lowerBound, r.upperBound)
        }
        withExtendedLifetime(packed) {}
    }

    /// gradient [m, k] += alpha · dyᵀ [m, n] x [n, k]: the products over tokens of backward.
    func bf16WeightGradient(_ dy: Tensor, _ x: Tensor, alpha: Float, into gradient: Tensor) {
        let (n, m, k) = (dy.rows, dy.columns, x.columns)
        let packed = pack(x.f32, ldb: k, transposed: false, k: n, m: k)
        let rows = UnsafeMutablePointer<UInt16>.allocate(capacity: m * 2 * ((n + 1) / 2))
        defer { rows.deallocate() }
        Parallel.forEach(m, workPerItem: n * k) { r in
            afina_bf16_convert_at(dy.f32, m, n, alpha, rows, r.lowerBound, r.upperBound)
            afina_bf16_gemm(rows, n, packed.values, k, gradient.f32, k, 1, r.lowerBound, r.upperBound)
        }
        withExtendedLifetime(packed) {}
    }
}
