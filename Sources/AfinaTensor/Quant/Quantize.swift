// Float32 to the types Afina writes: F32, F16 and ggml's Q8_0 and Q4_0 blocks, rounding as
// ggml-quants.c's reference quantize_row_q8_0_ref / quantize_row_q4_0_ref do (and gguf-py's
// `gguf.quants.quantize`, which mirrors them): the scale comes from the block's largest
// magnitude, is stored as an IEEE half (round to nearest even), and the values are scaled by
// the reciprocal of the float32 scale, not of the rounded half.
// Checked against gguf-py in Tests/AfinaTensorTests/QuantizeTests.swift.

extension Quant {
    /// The element types `quantize` encodes.
    public static let quantizableTypes: [DType] = [.f32, .f16, .q8_0, .q4_0]

    /// The bytes of `values` stored as `type`, one of `quantizableTypes`; `values.count`
    /// must be a whole number of blocks (callers check the row length first).
    public static func quantize(_ values: UnsafeBufferPointer<Float>, as type: DType) -> [UInt8] {
        precondition(values.count % type.blockSize == 0, "\(values.count) elements is not a whole number of \(type) blocks")
        let blocks = values.count / type.blockSize
        return [UInt8](unsafeUninitializedCapacity: blocks * type.bytesPerBlock) { out, n in
            let dst = UnsafeMutableRawPointer(out.baseAddress!)
            switch type {
            case .f32: dst.copyMemory(from: values.baseAddress!, byteCount: values.count * 4)
            case .f16: for i in 0..<values.count { dst.storeBytes(of: Float16(values[i]), toByteOffset: 2 * i, as: Float16.self) }
            case .q8_0: for b in 0..<blocks { quantizeQ8_0Block(values.baseAddress! + 32 * b, dst + 34 * b) }
            case .q4_0: for b in 0..<blocks { quantizeQ4_0Block(values.baseAddress! + 32 * b, dst + 18 * b) }
            default: preconditionFailure("Afina cannot quantize to \(type)")
            }
            n = blocks * type.bytesPerBlock
        }
    }

    /// The bytes of `values` stored as `type` (see the pointer version).
    public static func quantize(_ values: [Float], as type: DType) -> [UInt8] {
        values.withUnsafeBufferPointer { quantize($0, as: type) }
    }

    /// block_q8_0: d = max|x| / 127, q = round(x / d) (halves away from zero, as roundf).
    private static func quantizeQ8_0Block(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<32 { amax = max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        y.storeBytes(of: Float16(d), as: Float16.self)
        for j in 0..<32 {
            // Clamped so that non-finite weights give a defined block rather than a trap.
            let q = (x[j] * id).rounded()
            y.storeBytes(of: q.isNaN ? 0 : Int8(max(-128, min(127, q))), toByteOffset: 2 + j, as: Int8.self)
        }
    }

    /// block_q4_0: d = (the value of largest magnitude, sign kept) / -8, so that value maps to
    /// q = 0; q = min(15, trunc(x / d + 8.5)). Element j < 16 goes to the low nibble of qs[j].
    private static func quantizeQ4_0Block(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer) {
        var amax: Float = 0, extreme: Float = 0
        for j in 0..<32 where amax < abs(x[j]) {  // the first of equal magnitudes wins, as in ggml
            amax = abs(x[j])
            extreme = x[j]
        }
        let d = extreme / -8
        let id: Float = d != 0 ? 1 / d : 0
        y.storeBytes(of: Float16(d), as: Float16.self)
        func nibble(_ v: Float) -> UInt8 {
            let t = v * id + 8.5  // in [0.5, 16.5] for finite blocks; NaN maps to 15
            return t < 15 ? UInt8(max(t, 0)) : 15
        }
        for j in 0..<16 { y.storeBytes(of: nibble(x[j]) | nibble(x[j + 16]) << 4, toByteOffset: 2 + j, as: UInt8.self) }
    }
}
