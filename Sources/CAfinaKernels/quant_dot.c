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

/// 32 signed quants (bytes, value order) dotted with x, as 4 x 8 float lanes.
static inline __m256 dot32(__m256i q, const float *x) {
    __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    __m256 t = _mm256_mul_ps(i8x8(lo), _mm256_loadu_ps(x));
    t = _mm256_fmadd_ps(i8x8(_mm_srli_si128(lo, 8)), _mm256_loadu_ps(x + 8), t);
    t = _mm256_fmadd_ps(i8x8(hi), _mm256_loadu_ps(x + 16), t);
    return _mm256_fmadd_ps(i8x8(_mm_srli_si128(hi, 8)), _mm256_loadu_ps(x + 24), t);
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
