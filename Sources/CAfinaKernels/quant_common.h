// Helpers shared by the fused quantized dot kernels (quant_dot.c, kquant_dot.c).
#pragma once
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/// The float16 at p (block scales), as a float.
static inline float half_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/// The sum of the 8 lanes.
static inline float sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Q4_K / Q5_K: the 8 6-bit sub-block scales (u[0], u[1] as bytes) and 8 mins (u[2], u[3]),
/// unpacked from the 12 bytes at b + 4 with 32-bit masks (ggml's utmp trick) rather than byte
/// by byte: unpacking scalars took a third of the float kernel's time.
static inline void k4_unpack(const uint8_t *b, uint32_t u[4]) {
    memcpy(u, b + 4, 12);
    // u[0], u[1]: the low 6 bits of scales 0-3 and mins 0-3; u[2]: the low 4 bits of scales
    // 4-7 (low nibbles) and mins 4-7 (high nibbles); the top 2 bits of u[0], u[1] are their highs.
    u[3] = ((u[2] >> 4) & 0x0F0F0F0F) | (((u[1] >> 6) & 0x03030303) << 4);
    uint32_t mins = u[1] & 0x3F3F3F3F;
    u[1] = (u[2] & 0x0F0F0F0F) | (((u[0] >> 6) & 0x03030303) << 4);
    u[0] &= 0x3F3F3F3F;
    u[2] = mins;
}

/// Byte i (0..31) is 0x10 where bit i of `bits` is set: Q5_0's fifth bits, in value order.
static inline __m256i fifth_bits(uint32_t bits) {
    const __m256i spread = _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), spread);  // byte i = byte i/8 of bits
    v = _mm256_or_si256(v, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));           // all bits but bit i%8 set
    return _mm256_and_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi64x(-1)), _mm256_set1_epi8(0x10));
}

/// The 32 nibbles of 16 bytes in value order: low nibbles are values 0-15, high ones 16-31.
static inline __m256i nibbles32(const uint8_t *qs) {
    __m128i q = _mm_loadu_si128((const __m128i *)qs), low4 = _mm_set1_epi8(0x0F);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), low4), _mm_and_si128(q, low4));
}

// Decoding multiplies each weight row by 1-4 activation rows; the quants are widened once for
// all of them. Each row keeps its own accumulators and order of operations, so its result is
// the same, to the bit, whatever the number of rows. Bodies are always inlined with a constant
// `rows` (BY_ROWS) so that the per-row loops unroll and the accumulators stay in registers.
#define ROWS_MAX 4
#define BY_ROWS(kernel, ...)                                                        \
    switch (rows) {                                                                 \
    case 1: kernel(1, __VA_ARGS__); break;                                          \
    case 2: kernel(2, __VA_ARGS__); break;                                          \
    case 3: kernel(3, __VA_ARGS__); break;                                          \
    default: kernel(4, __VA_ARGS__); break;                                         \
    }
#define INLINE static inline __attribute__((always_inline))

/// The AVX-512 forms (kquant_dot.c, quant_dot_int16.c): call only where the CPU has F and BW.
#define AVX512 __attribute__((target("avx512f,avx512bw")))

// K-quants as int16 weights, quant times sub-block scale (quant_dot_int16.c, quant_gemm_int16.c).

/// Chunk c (0-3) of a Q4_K or Q5_K super-block: its 32 bytes at qs are 64 values, the low
/// nibbles sub-block 2c (`lo`) and the high ones 2c + 1 (`hi`); Q5_K (`five`) ORs in bit 4 from
/// qh (its 32 bytes widened to int16; bits 2c, 2c + 1). Quant times 6-bit scale is at most
/// 31 * 63 = 1953.
AVX512 INLINE void q45_k_chunk_i16(const uint8_t *qs, __m512i qh, int c, const uint8_t *scale, int five, __m512i *lo,
                                   __m512i *hi) {
    const __m512i low4 = _mm512_set1_epi16(0x0F), one = _mm512_set1_epi16(1);
    const __m512i q = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(qs + 32 * c)));
    __m512i ql = _mm512_and_si512(q, low4), qu = _mm512_srli_epi16(q, 4);
    if (five) {
        const __m512i h = _mm512_srl_epi16(qh, _mm_cvtsi32_si128(2 * c));
        ql = _mm512_or_si512(ql, _mm512_slli_epi16(_mm512_and_si512(h, one), 4));
        qu = _mm512_or_si512(qu, _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(h, 1), one), 4));
    }
    *lo = _mm512_mullo_epi16(ql, _mm512_set1_epi16(scale[2 * c]));
    *hi = _mm512_mullo_epi16(qu, _mm512_set1_epi16(scale[2 * c + 1]));
}

// Q6_K: per half of 128 values, the low nibbles of ql's 64 bytes are values 0-63 and the high
// nibbles 64-127, each with 2 bits from qh (bits 0-1 and 2-3, then 4-5 and 6-7). (q - 32) times
// its signed 8-bit scale fits 16 bits (at most 4096).

/// Half n (0 or 1) of the Q6_K super-block b: w[j] = values 128n + 32j ..< + 32, as (q - 32) * scale.
AVX512 INLINE void q6_k_half_i16(const uint8_t *b, int n, __m512i w[4]) {
    const __m512i low4 = _mm512_set1_epi8(0x0F), low2 = _mm512_set1_epi8(0x03), offset = _mm512_set1_epi16(32);
    // int16 lanes 16-31 of a 32-value step take the next of its two scales.
    const __m512i upperHalf = _mm512_mask_set1_epi16(_mm512_setzero_si512(), 0xFFFF0000u, 1);
    // qh's bits for the first and second 32 bytes of each step: shifts 0 and 2, then 4 and 6.
    const __m512i shiftLow = _mm512_mask_set1_epi16(_mm512_setzero_si512(), 0xFFFF0000u, 2);
    const __m512i shiftHigh = _mm512_add_epi16(shiftLow, _mm512_set1_epi16(4));
    const __m512i scales = _mm512_zextsi256_si512(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 192))));
    const __m512i ql = _mm512_loadu_si512(b + 64 * n);
    const __m256i qh32 = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * n));
    const __m512i qh = _mm512_inserti64x4(_mm512_castsi256_si512(qh32), qh32, 1);
    const __m512i qa = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                       _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shiftLow), low2), 4));
    const __m512i qb = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                       _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shiftHigh), low2), 4));
    const __m256i parts[4] = {_mm512_castsi512_si256(qa), _mm512_extracti64x4_epi64(qa, 1),
                              _mm512_castsi512_si256(qb), _mm512_extracti64x4_epi64(qb, 1)};
    for (int j = 0; j < 4; j++) {
        const __m512i s = _mm512_permutexvar_epi16(_mm512_add_epi16(upperHalf, _mm512_set1_epi16(8 * n + 2 * j)), scales);
        w[j] = _mm512_mullo_epi16(_mm512_sub_epi16(_mm512_cvtepu8_epi16(parts[j]), offset), s);
    }
}
