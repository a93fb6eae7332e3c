// AVX2 + FMA + F16C kernels (the same baseline the Swift targets are compiled for).
// Block layouts: ggml-common.h block_q4_1 / block_q8_0 (see Sources/AfinaTensor/Quant/).
#include "quant_dot.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

static inline float half_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

static inline float sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// 8 bytes (unsigned) -> 8 floats.
static inline __m256 u8x8(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)); }
/// 8 bytes (signed) -> 8 floats.
static inline __m256 i8x8(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }

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

static inline __m256 q8_0_block(const uint8_t *b, const float *x, __m256 acc) {
    __m128i q0 = _mm_loadu_si128((const __m128i *)(b + 2)), q1 = _mm_loadu_si128((const __m128i *)(b + 18));
    __m256 t = _mm256_mul_ps(i8x8(q0), _mm256_loadu_ps(x));
    t = _mm256_fmadd_ps(i8x8(_mm_srli_si128(q0, 8)), _mm256_loadu_ps(x + 8), t);
    t = _mm256_fmadd_ps(i8x8(q1), _mm256_loadu_ps(x + 16), t);
    t = _mm256_fmadd_ps(i8x8(_mm_srli_si128(q1, 8)), _mm256_loadu_ps(x + 24), t);
    return _mm256_fmadd_ps(t, _mm256_set1_ps(half_at(b)), acc);
}

float afina_dot_q8_0(const void *w, const float *x, int blocks) {
    const uint8_t *b = w;
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int i = 0; i < blocks; i++) acc[i & 1] = q8_0_block(b + 34 * i, x + 32 * i, acc[i & 1]);
    return sum8(_mm256_add_ps(acc[0], acc[1]));
}
