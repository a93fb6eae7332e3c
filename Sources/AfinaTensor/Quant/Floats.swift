// Plain element types widened to float32: IEEE binary16 (GGML_TYPE_F16, safetensors F16),
// bfloat16 (GGML_TYPE_BF16: the top 16 bits of a float32) and int32 (GGML_TYPE_I32).
// All three conversions are exact except int32 beyond 2^24, which rounds to nearest.
// The plain loops vectorize (F16C vcvtph2ps for halves).

extension Quant {
    static func dequantizeF16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: 2 * i, as: Float16.self)) }
    }

    static func dequantizeBF16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count {
            dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
        }
    }

    static func dequantizeI32(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { dst[i] = Float(src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
    }
}
