// Dequantization of every `DType` to float32: the entry point and its dispatch.
// Block layouts follow ggml's ggml-common.h (block_q4_0 ... block_q6_K) and the arithmetic
// follows ggml-quants.c's dequantize_row_* in the same order of float operations. Swift does
// not fuse `a * b + c` into one FMA, so results are bit-identical to gguf-py's
// `gguf.quants.dequantize` (Tests/AfinaTensorTests/DequantizeTests.swift).
//
// Each family's file holds its helpers and its loop over blocks, so that the kernels inline
// and vectorize even when the module is not compiled whole (debug builds, -Ounchecked).
// Every kernel reads its input with byte loads or `loadUnaligned`: tensor data in a mapped
// file is only as aligned as the file format promises (GGUF: 32 bytes; safetensors: none).
// Multi-byte fields are little-endian, as is every host Afina runs on (x86_64, arm64).

/// Conversion of tensor storage (plain floats, integers and ggml's quantized blocks) to float32.
public enum Quant {
    /// Writes `count` float32 values decoded from `src` (stored as `type`) to `dst`.
    ///
    /// `count` must be a whole number of blocks (`type.blockSize`); `src` must hold
    /// `type.byteCount(elements: count)` bytes. Callers validate both when they read a file.
    public static func dequantize(_ type: DType, _ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>,
                                  count: Int) {
        precondition(count % type.blockSize == 0, "\(count) elements is not a whole number of \(type) blocks")
        let blocks = count / type.blockSize
        switch type {
        case .f32: UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
        case .f16: dequantizeF16(src, dst, count)
        case .bf16: dequantizeBF16(src, dst, count)
        case .i32: dequantizeI32(src, dst, count)
        case .q4_0: dequantizeQ4_0(src, dst, blocks: blocks)
        case .q4_1: dequantizeQ4_1(src, dst, blocks: blocks)
        case .q5_0: dequantizeQ5_0(src, dst, blocks: blocks)
        case .q5_1: dequantizeQ5_1(src, dst, blocks: blocks)
        case .q8_0: dequantizeQ8_0(src, dst, blocks: blocks)
        case .q4_K: dequantizeQ4_K(src, dst, blocks: blocks)
        case .q5_K: dequantizeQ5_K(src, dst, blocks: blocks)
        case .q6_K: dequantizeQ6_K(src, dst, blocks: blocks)
        }
    }

    /// The float32 values of `bytes`, which must be a whole number of `type` blocks.
    public static func dequantize(_ type: DType, _ bytes: UnsafeRawBufferPointer) -> [Float] {
        precondition(bytes.count % type.bytesPerBlock == 0,
                     "\(bytes.count) bytes is not a whole number of \(type) blocks")
        let count = bytes.count / type.bytesPerBlock * type.blockSize
        guard let base = bytes.baseAddress, count > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: count) { out, n in
            dequantize(type, base, into: out.baseAddress!, count: count)
            n = count
        }
    }
}

