// Dot products of a quantized weight row with float activations, without expanding the row
// first: the decode path reads each weight block once. Layouts as in Quant/Q4Q5Q8.swift.
// Other types fall back to dequantizing the row into a buffer.

@inline(__always) private func floats(_ v: SIMD16<UInt8>) -> Vec {
    Vec(SIMD16<Int32>(truncatingIfNeeded: v))
}

@inline(__always) private func floats(_ v: SIMD16<Int8>) -> Vec {
    Vec(SIMD16<Int32>(truncatingIfNeeded: v))
}

@inline(__always) private func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
}

/// Σ w[i] x[i] for a Q4_1 row of `blocks` blocks: per block d·Σ q x + m·Σ x.
@inline(__always) func dotQ4_1(_ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
    var acc = Vec()
    for i in 0..<blocks {
        let b = w + 20 * i, xs = x + 32 * i
        let q = b.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
        let (x0, x1) = (loadVec(xs), loadVec(xs + 16))
        let t = floats(q & 0x0F) * x0 + floats(q &>> 4) * x1
        acc = acc.addingProduct(t, half(b, 0)).addingProduct(x0 + x1, half(b, 2))
    }
    return acc.sum()
}

/// Σ w[i] x[i] for a Q8_0 row: per block d·Σ q x.
@inline(__always) func dotQ8_0(_ w: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
    var acc = Vec()
    for i in 0..<blocks {
        let b = w + 34 * i, xs = x + 32 * i
        let q0 = b.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)
        let q1 = b.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)
        acc = acc.addingProduct(floats(q0) * loadVec(xs) + floats(q1) * loadVec(xs + 16), half(b, 0))
    }
    return acc.sum()
}
