// The float32 tile kernel against the reference loops, through the backend calls that reach it:
// LoRA's narrow products (one side at most 32 wide) with row counts and widths that leave
// partial tiles of every size (24, 12, 8 and single rows; 48, 32 and 16 columns and masked
// tails), ranks 1 to 32, and weight gradients that accumulate with a scale; and input
// gradients dy·W of wide weights, over depths of several blocks and slices. Float32 in both,
// so only the order of the sums differs: within 1e-5 of max(1, |reference|), as the other
// products.
import XCTest
@testable import AfinaTensor

final class TileProductTests: XCTestCase {
    let reference = ReferenceBackend()

    func backends() throws -> [CPUBackend] {
        guard CPUFeatures.current.contains(.avx512f) else { throw XCTSkip("the narrow kernel needs AVX-512F") }
        return [CPUBackend()] + (ProductPrecision.bf16.available == .bf16 ? [CPUBackend(precision: .bf16)] : [])
    }

    func assertClose(_ b: CPUBackend, _ fast: Tensor, _ slow: Tensor, _ what: String) {
        let (x, y) = (b.floats(fast), reference.floats(slow))
        let worst = zip(x, y).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-5, "\(what) (\(b.precision))")
    }

    func random(_ shape: [Int], seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) }
    }

    func testAdapterProductsMatchTheReference() throws {
        for b in try backends() {
            for (n, wide, rank) in [(64, 576, 16), (131, 100, 8), (97, 47, 32), (75, 1536, 1), (200, 33, 17)] {
                func pair(_ shape: [Int], _ seed: UInt64) -> (Tensor, Tensor) {
                    let values = random(shape, seed: seed)
                    return (b.tensor(values, shape: shape), reference.tensor(values, shape: shape))
                }
                let what = "\(n) rows, width \(wide), rank \(rank)"
                let (x, xr) = pair([n, wide], 1), (a, ar) = pair([rank, wide], 2), (h, hr) = pair([n, rank], 3)
                let (w, wr) = pair([wide, rank], 4), (dy, dyr) = pair([n, wide], 5)
                // x·Aᵀ and dy·B (narrow outputs) on every backend; h·Bᵀ and dh·A (narrow depth)
                // where the backend is float32 (a bf16 backend keeps its kernel for those).
                XCTAssertTrue(b.multipliesNarrow(rows: n, wide, rank), what)
                assertClose(b, b.linear(x, weight: a, bias: nil), reference.linear(xr, weight: ar, bias: nil), "x·Aᵀ \(what)")
                assertClose(b, b.matmul(dy, w), reference.matmul(dyr, wr), "dy·B \(what)")
                if b.multipliesNarrow(rows: n, rank, wide) {
                    assertClose(b, b.linear(h, weight: w, bias: nil), reference.linear(hr, weight: wr, bias: nil),
                                "h·Bᵀ \(what)")
                    assertClose(b, b.matmul(h, a), reference.matmul(hr, ar), "dh·A \(what)")
                }
                // gB [wide, rank] += 0.5 dyᵀh and gA [rank, wide] += 0.5 hᵀx, onto nonzero values.
                XCTAssertTrue(b.accumulatesNarrow(rows: n, wide, rank) && b.accumulatesNarrow(rows: n, rank, wide))
                let (gB, gBr) = pair([wide, rank], 6), (gA, gAr) = pair([rank, wide], 7)
                b.accumulateWeightGradient(dy, h, alpha: 0.5, into: gB)
                reference.accumulateWeightGradient(dyr, hr, alpha: 0.5, into: gBr)
                b.accumulateWeightGradient(h, x, alpha: 0.5, into: gA)
                reference.accumulateWeightGradient(hr, xr, alpha: 0.5, into: gAr)
                assertClose(b, gB, gBr, "gB \(what)")
                assertClose(b, gA, gAr, "gA \(what)")
            }
        }
    }

    /// y += alpha · h Bᵀ (the adapter into the base output) and dx += dh A, in place, on the
    /// narrow kernel, the bf16 kernel (within 1e-2 of the largest value, as BF16ProductTests)
    /// and, with few rows or wide depths, the product-then-axpy fallback.
    func testProductsAddedInPlaceMatchTheReference() {
        let bf16 = ProductPrecision.bf16.available == .bf16 ? [CPUBackend(precision: .bf16)] : []
        for b in [CPUBackend()] + bf16 {
            for (n, depth, wide, alpha) in [(130, 16, 600, Float(2)), (70, 8, 100, 0.5), (20, 16, 64, 2), (96, 64, 80, 1)] {
                func pair(_ shape: [Int], _ seed: UInt64) -> (Tensor, Tensor) {
                    let values = random(shape, seed: seed)
                    return (b.tensor(values, shape: shape), reference.tensor(values, shape: shape))
                }
                let (h, hr) = pair([n, depth], 8), (w, wr) = pair([wide, depth], 9), (a, ar) = pair([depth, wide], 10)
                let (y, yr) = pair([n, wide], 11), (dx, dxr) = pair([n, wide], 12)
                b.accumulateLinear(h, weight: w, alpha: alpha, into: y)
                reference.axpy(alpha, reference.linear(hr, weight: wr, bias: nil), into: yr)
                b.accumulateMatmul(h, a, into: dx)
                reference.axpy(1, reference.matmul(hr, ar), into: dxr)
                let what = "\(n) rows, depth \(depth), width \(wide)"
                for (name, fast, slow) in [("y += α h·Bᵀ", y, yr), ("dx += dh·A", dx, dxr)] {
                    let (x, z) = (b.floats(fast), reference.floats(slow))
                    let worst = zip(x, z).map { abs($0 - $1) }.max()!
                    let bound = b.usesBF16 && n >= CPUBackend.rowSplitMinimum ? 1e-2 * z.map(abs).max()! : 1e-5
                    XCTAssertLessThanOrEqual(worst, bound, "\(name) \(what) (\(b.precision))")
                }
            }
        }
    }

    /// dy·W and dx += dy·W for float32 weights of any width on a float32 backend, up to the
    /// deepest the kernel takes; deeper products stay on OpenBLAS, and bf16 backends keep theirs.
    /// A backend whose input gradients run on OpenBLAS (`InputGradientKernel.openblas`, the
    /// comparison) keeps them there but for narrow products, and gives the same sums.
    /// Sums this deep round more than the 1e-5 of max(1, |reference|) above allows (near-zero
    /// results of sums whose terms reach ±1 thousands of times), so they are checked against
    /// sums in double within 1e-5 of the results' root mean square (about sqrt(depth) / 3): a
    /// term left out or a wrong stride is off by tenths.
    func testInputGradientsOfWideWeightsMatchExactSums() throws {
        guard CPUFeatures.current.contains(.avx512f) else { throw XCTSkip("the tile kernel needs AVX-512F") }
        for kernel in InputGradientKernel.allCases {
            checkInputGradients(CPUBackend(inputGradientKernel: kernel), onTiles: kernel == .tiles)
        }
        XCTAssertFalse(CPUBackend(precision: .bf16).multipliesOnTiles(rows: 256, 576, 1536))
    }

    /// x·Wᵀ of an output head's size runs in dot form on a float32 backend: rows and weight
    /// rows that leave partial tiles (66 = 16 x 4 + 2, 16,389 = 2,731 x 6 + 3) and a depth that
    /// leaves a masked tail (37), against sums in double as above.
    func testOutputHeadProductsInDotFormMatchExactSums() throws {
        guard CPUFeatures.current.contains(.avx512f) else { throw XCTSkip("the dot kernel needs AVX-512F") }
        let b = CPUBackend()
        let (n, depth, m) = (66, 37, CPUBackend.dotFormMinimumRows + 5)
        XCTAssertTrue(b.multipliesInDotForm(weightRows: m))
        let (x, w) = (random([n, depth], seed: 16), random([m, depth], seed: 17))
        let out = b.floats(b.linear(b.tensor(x, shape: [n, depth]), weight: b.tensor(w, shape: [m, depth]), bias: nil))
        var worst = 0.0, squares = 0.0
        for i in 0..<n {
            for j in 0..<m {
                var exact = 0.0
                for p in 0..<depth { exact += Double(x[i * depth + p]) * Double(w[j * depth + p]) }
                worst = max(worst, abs(Double(out[i * m + j]) - exact))
                squares += exact * exact
            }
        }
        XCTAssertLessThanOrEqual(worst, 1e-5 * (squares / Double(n * m)).squareRoot())
    }

    private func checkInputGradients(_ b: CPUBackend, onTiles: Bool) {
        // The last is deeper than one pass over W: slices of tiledDepthSlice rows, the last partial.
        let deeper = CPUBackend.tiledDepthLimit + CPUBackend.tiledDepthSlice + 45
        for (n, depth, wide) in [(70, 576, 100), (131, 1600, 200), (65, 2305, 33), (64, CPUBackend.tiledDepthLimit, 20),
                                 (64, deeper, 50)] {
            XCTAssertEqual(b.multipliesOnTiles(rows: n, depth, wide), onTiles || wide <= CPUBackend.narrowWidth)
            let (dy, w, dx) = (random([n, depth], seed: 13), random([depth, wide], seed: 14), random([n, wide], seed: 15))
            var exact = [Double](repeating: 0, count: n * wide)
            for i in 0..<n {
                for p in 0..<depth {
                    for j in 0..<wide { exact[i * wide + j] += Double(dy[i * depth + p]) * Double(w[p * wide + j]) }
                }
            }
            let bound = 1e-5 * (exact.map { $0 * $0 }.reduce(0, +) / Double(exact.count)).squareRoot()
            func assertNear(_ result: Tensor, _ start: [Float]?, _ name: String) {
                let worst = b.floats(result).enumerated().map { k, value in
                    abs(Double(value) - exact[k] - Double(start?[k] ?? 0))
                }.max()!
                XCTAssertLessThanOrEqual(worst, bound, "\(name) (\(b.inputGradientKernel)), \(n) rows, depth \(depth), width \(wide)")
            }
            let (dyT, wT) = (b.tensor(dy, shape: [n, depth]), b.tensor(w, shape: [depth, wide]))
            assertNear(b.matmul(dyT, wT), nil, "dy·W")
            let into = b.tensor(dx, shape: [n, wide])
            b.accumulateMatmul(dyT, wT, into: into)
            assertNear(into, dx, "dx += dy·W")
        }
    }
}
