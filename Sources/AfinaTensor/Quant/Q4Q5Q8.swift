// ggml's 32-element blocks (ggml-common.h; arithmetic of ggml-quants.c dequantize_row_*):
//
//   block_q4_0 (18 bytes): f16 d, u8 qs[16]            y = (q - 8) * d
//   block_q4_1 (20 bytes): f16 d, f16 m, u8 qs[16]     y = q * d + m
//   block_q5_0 (22 bytes): f16 d, u8 qh[4], u8 qs[16]  y = (q - 16) * d
//   block_q5_1 (24 bytes): f16 d, f16 m, u8 qh[4], u8 qs[16]  y = q * d + m
//   block_q8_0 (34 bytes): f16 d, i8 qs[32]            y = q * d
//
// 4-bit values: element j < 16 is the low nibble of qs[j], element j + 16 its high nibble.
// 5-bit values add bit j of the little-endian u32 qh as bit 4 of element j.

extension Quant {
    static func dequantizeQ4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let b = src + 18 * i, y = dst + 32 * i
            let d = half(b, 0)
            for j in 0..<16 {
                let q = byte(b, 2 + j)
                y[j] = Float(Int32(q & 0x0F) - 8) * d
                y[j + 16] = Float(Int32(q >> 4) - 8) * d
            }
        }
    }

    static func dequantizeQ4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let b = src + 20 * i, y = dst + 32 * i
            let (d, m) = (half(b, 0), half(b, 2))
            for j in 0..<16 {
                let q = byte(b, 4 + j)
                y[j] = Float(q & 0x0F) * d + m
                y[j + 16] = Float(q >> 4) * d + m
            }
        }
    }

    static func dequantizeQ5_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let b = src + 22 * i, y = dst + 32 * i
            let d = half(b, 0)
            let qh = b.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            for j in 0..<16 {
                let q = byte(b, 6 + j)
                let h0 = Int32(truncatingIfNeeded: (qh &>> UInt32(j)) &<< 4) & 0x10
                let h1 = Int32(truncatingIfNeeded: qh &>> UInt32(j + 12)) & 0x10
                y[j] = Float((Int32(q & 0x0F) | h0) - 16) * d
                y[j + 16] = Float((Int32(q >> 4) | h1) - 16) * d
            }
        }
    }

    static func dequantizeQ5_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let b = src + 24 * i, y = dst + 32 * i
            let (d, m) = (half(b, 0), half(b, 2))
            let qh = b.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            for j in 0..<16 {
                let q = byte(b, 8 + j)
                let h0 = Int32(truncatingIfNeeded: (qh &>> UInt32(j)) &<< 4) & 0x10
                let h1 = Int32(truncatingIfNeeded: qh &>> UInt32(j + 12)) & 0x10
                y[j] = Float(Int32(q & 0x0F) | h0) * d + m
                y[j + 16] = Float(Int32(q >> 4) | h1) * d + m
            }
        }
    }

    static func dequantizeQ8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, blocks: Int) {
        for i in 0..<blocks {
            let b = src + 34 * i, y = dst + 32 * i
            let d = half(b, 0)
            for j in 0..<32 { y[j] = Float(Int8(bitPattern: byte(b, 2 + j))) * d }
        }
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
