// AVX2 + FMA + F16C kernels (the same baseline the Swift targets are compiled for).
// Block layouts: ggml-common.h block_q4_0 / q4_1 / q5_0 / q8_0 (see Sources/AfinaTensor/Quant/).
#include "quant_dot.h"
#include "quant_common.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/// 8 bytes (unsigned) -> 8 floats.
static inline __m256 u8x8(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)); }
/// 8 bytes (signed) -> 8 floats.
static inline __m256 i8x8(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }

/// Byte i (0..31) is 0x10 where bit i of `bits` is set: Q5_0's fifth bits, in value order.
static inline __m256i fifth_bits(uint32_t bits) {
    const __m256i spread = _mm256_setr_epi64x(0, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), spread);  // byte i = byte i/8 of bits
    v = _mm256_or_si256(v, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));           // all bits but bit i%8 set
    return _mm256_and_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi64x(-1)), _mm256_set1_epi8(0x10));
}

/// 32 signed quants (bytes, value order) dotted with x, as 4 x 8 float lanes.
static inline __m256 dot32(__m256i q, const float *x) {
    __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    __m256 t = _mm256_mul_ps(i8x8(lo), _mm256_loadu_ps(x));
    t = _mm256_fmadd_ps(i8x8(_mm_srli_si128(lo, 8)), _mm256_loadu_ps(x + 8), t);
    t = _mm256_fmadd_ps(i8x8(hi), _mm256_loadu_ps(x + 16), t);
    return _mm256_fmadd_ps(i8x8(_mm_srli_si128(hi, 8)), _mm256_loadu_ps(x + 24), t);
}

/// The 32 nibbles of 16 bytes in value order: low nibbles are values 0-15, high ones 16-31.
static inline __m256i nibbles32(const uint8_t *qs) {
    __m128i q = _mm_loadu_si128((const __m128i *)qs), low4 = _mm_set1_epi8(0x0F);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), low4), _mm_and_si128(q, low4));
}

// Blocks alternate between two pairs of accumulators: one dependent chain of FMAs would
// otherwise bound the loop at the FMA latency per block.
static inline void q4_1_block(const uint8_t *b, const float *x, __m256 *acc, __m256 *accMin) {
    const __m128i low4 = _mm_set1_epi8(0x0F);
    __m128i q = _mm_loadu_si128((const __m128i *)(b + 4));
    __m128i lo = _mm_and_si128(q, low4), hi = _mm_and_si128(_mm_srli_epi16(q, 4), low4);
    __m256 x0 = _mm256_loadu_ps(x), x1 = _mm256_loadu_ps(x + 8);
    __m256 x2 = _mm256_loadu_ps(x + 16), x3 = _mm256_loadu_ps(x + 24);
    __m256 t = _mm256_mul_ps(u8x8(lo), x0);
    t = _mm256_fmadd_ps(u8x8(_mm_srli_si128(lo, 8)), x1, t);
    t = _mm256_fmadd_ps(u8x8(hi), x2, t);
    t = _mm256_fmadd_ps(u8x8(_mm_srli_si128(hi, 8)), x3, t);
    __m256 xs = _mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3));
    *acc = _mm256_fmadd_ps(t, _mm256_set1_ps(half_at(b)), *acc);
    *accMin = _mm256_fmadd_ps(xs, _mm256_set1_ps(half_at(b + 2)), *accMin);
}

float afina_dot_q4_1(const void *w, const float *x, int blocks) {
    const uint8_t *b = w;
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    __m256 accMin[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int i = 0; i < blocks; i++) q4_1_block(b + 20 * i, x + 32 * i, &acc[i & 1], &accMin[i & 1]);
    return sum8(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(accMin[0], accMin[1])));
}

float afina_dot_q4_0(const void *w, const float *x, int blocks) {
    const uint8_t *b = w;
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int i = 0; i < blocks; i++) {
        const uint8_t *block = b + 18 * i;
        __m256i q = _mm256_sub_epi8(nibbles32(block + 2), _mm256_set1_epi8(8));
        acc[i & 1] = _mm256_fmadd_ps(dot32(q, x + 32 * i), _mm256_set1_ps(half_at(block)), acc[i & 1]);
    }
    return sum8(_mm256_add_ps(acc[0], acc[1]));
}

float afina_dot_q5_0(const void *w, const float *x, int blocks) {
    const uint8_t *b = w;
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int i = 0; i < blocks; i++) {
        const uint8_t *block = b + 22 * i;
        uint32_t high;
        memcpy(&high, block + 2, 4);
        __m256i q = _mm256_sub_epi8(_mm256_or_si256(nibbles32(block + 6), fifth_bits(high)), _mm256_set1_epi8(16));
        acc[i & 1] = _mm256_fmadd_ps(dot32(q, x + 32 * i), _mm256_set1_ps(half_at(block)), acc[i & 1]);
    }
    return sum8(_mm256_add_ps(acc[0], acc[1]));
}

float afina_dot_q8_0(const void *w, const float *x, int blocks) {
    const uint8_t *b = w;
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int i = 0; i < blocks; i++) {
        __m256i q = _mm256_loadu_si256((const __m256i *)(b + 34 * i + 2));
        acc[i & 1] = _mm256_fmadd_ps(dot32(q, x + 32 * i), _mm256_set1_ps(half_at(b + 34 * i)), acc[i & 1]);
    }
    return sum8(_mm256_add_ps(acc[0], acc[1]));
}

// Q5_0 and Q8_0 dots with activations rounded to 8 bits per 32 values (llama.cpp's Q8_0
// activations), for decoding: 32 quants times 32 int8 activations exactly in integers
// (vpmaddubsw, then vpmaddwd by ones), one float multiply per block. Q5_0's quants stay
// unsigned; their offset comes back as 16 times the block's sum of activations. Not Q4_0 and
// Q4_1: on SmolLM2-135M Q4_1, rounded activations turned "The capital of France is Paris."
// into llama.cpp's own (wrong) greedy answer, so 4-bit blocks keep float activations.
void afina_quantize_q8_0(const float *x, long count, int8_t *q, float *scales, int16_t *sums) {
    for (long b = 0; b < count / 32; b++, x += 32, q += 32) {
        const __m256 sign = _mm256_set1_ps(-0.0f);
        __m256 v[4], amax = _mm256_setzero_ps();
        for (int j = 0; j < 4; j++) amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[j] = _mm256_loadu_ps(x + 8 * j)));
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        const float m = _mm_cvtss_f32(_mm_max_ss(m4, _mm_movehdup_ps(m4)));
        const __m256 inverse = _mm256_set1_ps(m > 0 ? 127.0f / m : 0);
        scales[b] = m / 127.0f;
        __m256i i[4];
        // Rounded to nearest, ties to even (the default rounding mode), within [-127, 127].
        for (int j = 0; j < 4; j++) i[j] = _mm256_cvtps_epi32(_mm256_mul_ps(v[j], inverse));
        __m256i total = _mm256_add_epi32(_mm256_add_epi32(i[0], i[1]), _mm256_add_epi32(i[2], i[3]));
        __m128i t = _mm_add_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
        t = _mm_hadd_epi32(t, t);
        sums[b] = (int16_t)_mm_cvtsi128_si32(_mm_hadd_epi32(t, t));
        // The packs interleave 128-bit lanes; the permute puts the 32 bytes back in order.
        __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(i[0], i[1]), _mm256_packs_epi32(i[2], i[3]));
        packed = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)q, packed);
    }
}

/// 32 unsigned quants times 32 int8 activations, summed to 8 int32 lanes (no saturation:
/// at most 2 * 128 * 127 per pair).
static inline __m256i udot32(__m256i quants, __m256i x) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(quants, x), _mm256_set1_epi16(1));
}

/// Lane 0 of an int32 vector less `value`.
static inline __m256i minus_lane0(__m256i v, int value) {
    return _mm256_sub_epi32(v, _mm256_zextsi128_si256(_mm_cvtsi32_si128(value)));
}

float afina_dot_q5_0_q8(const void *w, const int8_t *xq, const float *xd, const int16_t *xsums, int blocks) {
    const uint8_t *b = w;
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int i = 0; i < blocks; i++, b += 22) {
        uint32_t high;
        memcpy(&high, b + 2, 4);
        __m256i q = _mm256_or_si256(nibbles32(b + 6), fifth_bits(high));
        __m256i s = minus_lane0(udot32(q, _mm256_loadu_si256((const __m256i *)(xq + 32 * i))), 16 * xsums[i]);
        acc[i & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(half_at(b) * xd[i]), acc[i & 1]);
    }
    return sum8(_mm256_add_ps(acc[0], acc[1]));
}

float afina_dot_q8_0_q8(const void *w, const int8_t *xq, const float *xd, int blocks) {
    const uint8_t *b = w;
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int i = 0; i < blocks; i++, b += 34) {
        // Signed times signed: |q| times x with q's sign.
        __m256i q = _mm256_loadu_si256((const __m256i *)(b + 2)), x = _mm256_loadu_si256((const __m256i *)(xq + 32 * i));
        __m256i s = udot32(_mm256_sign_epi8(q, q), _mm256_sign_epi8(x, q));
        acc[i & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(half_at(b) * xd[i]), acc[i & 1]);
    }
    return sum8(_mm256_add_ps(acc[0], acc[1]));
}
