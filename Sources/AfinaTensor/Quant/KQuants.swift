// ggml's 256-element "k-quant" super-blocks (ggml-common.h; arithmetic of ggml-quants.c
// dequantize_row_q4_K / q5_K / q6_K):
//
//   block_q4_K (144 bytes): f16 d, f16 dmin, u8 scales[12], u8 qs[128]
//   block_q5_K (176 bytes): f16 d, f16 dmin, u8 scales[12], u8 qh[32], u8 qs[128]
//   block_q6_K (210 bytes): u8 ql[128], u8 qh[64], i8 scales[16], f16 d
//
// Q4_K/Q5_K: 8 sub-blocks of 32 with 6-bit scale and min packed in `scales`
// (get_scale_min_k4); y = (d * scale) * q - (dmin * min). Each 64-element chunk takes its
// first 32 values from the low nibbles of 32 bytes of qs and the next 32 from the high ones;
// Q5_K adds bit 2c (first half) or 2c+1 (second half) of qh[l] as bit 4, for chunk c.
// Q6_K: 16 sub-blocks of 16 with signed 8-bit scales; y = (d * scale) * (q - 32), where q's
// low 4 bits come from ql and its high 2 bits from qh, interleaved in halves of 128.

extension Quant {
    /// Scale and min of sub-block `j` (0..<8) from the 12 packed bytes at `s`.
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ s: UnsafeRawPointer) -> (scale: Float, min: Float) {
        if j < 4 {
            return (Float(byte(s, j) & 63), Float(byte(s, j + 4) & 63))
        }
        let scale = (byte(s, j + 4) & 0x0F) | ((byte(s, j - 4) >> 6) << 4)
        let min = (byte(s, j + 4) >> 4) | ((byte(s, j) >> 6) << 4)
        return (Float(scale), Float(min))
    }

    static func dequantizeQ4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let b = src + 144 * i, y = dst + 256 * i
            let (d, dmin) = (half(b, 0), half(b, 2))
            let scales = b + 4, qs = b + 16
            for chunk in 0..<4 {
                let (s1, m1) = scaleMinK4(2 * chunk, scales), (s2, m2) = scaleMinK4(2 * chunk + 1, scales)
                let (d1, min1, d2, min2) = (d * s1, dmin * m1, d * s2, dmin * m2)
                let q = qs + 32 * chunk, out = y + 64 * chunk
                for l in 0..<32 {
                    out[l] = d1 * Float(byte(q, l) & 0x0F) - min1
                    out[l + 32] = d2 * Float(byte(q, l) >> 4) - min2
                }
            }
        }
    }

    static func dequantizeQ5_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let b = src + 176 * i, y = dst + 256 * i
            let (d, dmin) = (half(b, 0), half(b, 2))
            let scales = b + 4, qh = b + 16, qs = b + 48
            for chunk in 0..<4 {
                let (s1, m1) = scaleMinK4(2 * chunk, scales), (s2, m2) = scaleMinK4(2 * chunk + 1, scales)
                let (d1, min1, d2, min2) = (d * s1, dmin * m1, d * s2, dmin * m2)
                let (bit1, bit2) = (UInt8(1) &<< (2 * chunk), UInt8(2) &<< (2 * chunk))
                let q = qs + 32 * chunk, out = y + 64 * chunk
                for l in 0..<32 {
                    let h = byte(qh, l)
                    out[l] = d1 * Float((byte(q, l) & 0x0F) | (h & bit1 != 0 ? 16 : 0)) - min1
                    out[l + 32] = d2 * Float((byte(q, l) >> 4) | (h & bit2 != 0 ? 16 : 0)) - min2
                }
            }
        }
    }

    static func dequantizeQ6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let b = src + 210 * i, y = dst + 256 * i
            let d = half(b, 208)
            for n in 0..<2 {
                let ql = b + 64 * n, qh = b + 128 + 32 * n, sc = b + 192 + 8 * n
                // Quarter g of these 128 values: low bits from nibble g / 2 of ql[l + 32 * (g % 2)],
                // high bits from bits 2g, 2g+1 of qh[l]; scale sc[2g + l / 16].
                for g in 0..<4 {
                    let (lowShift, highShift) = (UInt8(4 * (g >> 1)), UInt8(2 * g))
                    let low = ql + 32 * (g & 1), out = y + 128 * n + 32 * g
                    for s in 0..<2 {
                        let ds = d * scale(sc, 2 * g + s)
                        for l in 16 * s..<16 * s + 16 {
                            let q = ((byte(low, l) &>> lowShift) & 0x0F) | (((byte(qh, l) &>> highShift) & 3) &<< 4)
                            out[l] = ds * Float(Int32(q) - 32)
                        }
                    }
                }
            }
        }
    }

    /// Signed 8-bit sub-block scale `i` at `s`.
    @inline(__always)
    private static func scale(_ s: UnsafeRawPointer, _ i: Int) -> Float {
        Float(Int8(bitPattern: byte(s, i)))
    }
}

/// Byte `i` of a block.
@inline(__always) private func byte(_ p: UnsafeRawPointer, _ i: Int) -> UInt8 {
    p.load(fromByteOffset: i, as: UInt8.self)
}

/// The IEEE half at byte offset `i`, widened (exact).
@inline(__always) private func half(_ p: UnsafeRawPointer, _ i: Int) -> Float {
    Float(p.loadUnaligned(fromByteOffset: i, as: Float16.self))
}
