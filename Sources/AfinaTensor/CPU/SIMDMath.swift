// Small vector helpers for the CPU backend (AVX2-width SIMD via Swift's SIMD types).

typealias Vec = SIMD16<Float>

@inline(__always) func loadVec(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always) func storeVec(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}

/// Dot product of two float arrays of length n.
@inline(__always) func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = Vec(), acc1 = Vec()
    var i = 0
    while i + 32 <= n {
        acc0 = acc0.addingProduct(loadVec(a + i), loadVec(b + i))
        acc1 = acc1.addingProduct(loadVec(a + i + 16), loadVec(b + i + 16))
        i += 32
    }
    var sum = (acc0 + acc1).sum()
    while i < n { sum += a[i] * b[i]; i += 1 }
    return sum
}

/// The largest of n floats (-infinity for none). Scalar `max` in a loop compiles to a
/// compare and blend per value: it was most of cross-entropy's own time.
@inline(__always) func maximum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = Vec(repeating: -.infinity)
    var i = 0
    while i + 16 <= n { let x = loadVec(p + i); acc.replace(with: x, where: x .> acc); i += 16 }
    var result = acc.max()
    while i < n { result = max(result, p[i]); i += 1 }
    return result
}

/// y += a * x over n floats.
@inline(__always) func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 16 <= n { storeVec(loadVec(y + i).addingProduct(loadVec(x + i), a), y + i); i += 16 }
    while i < n { y[i] += a * x[i]; i += 1 }
}
