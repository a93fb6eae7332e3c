// Q4_K and Q6_K decode dots with activations rounded to 8 bits, as llama.cpp decodes (its
// Q8_K): products of 4- and 6-bit quants with int8 activations are exact in integers, 64 at a
// time (vpmaddubsw, then vpmaddwd with the sub-block scales), where the float forms widen and
// convert every quant. The only approximation is the activations' rounding: each block of 256
// values keeps one scale amax / 127, so each value moves by at most half a step.
// Block layouts: Sources/AfinaTensor/Quant/KQuants.swift (ggml-common.h block_q4_K / q6_K).
#include "quant_dot.h"
#include "quant_common.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define AVX512 __attribute__((target("avx512f,avx512bw")))
#define INLINE static inline __attribute__((always_inline))

AVX512 void afina_quantize_q8_k(const float *x, long count, int8_t *q, float *scales, int16_t *sums16) {
    for (long b = 0; b < count / 256; b++, x += 256, q += 256) {
        __m512 amax = _mm512_setzero_ps();
        for (int l = 0; l < 256; l += 16) amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_loadu_ps(x + l)));
        const float m = _mm512_reduce_max_ps(amax);
        const __m512 inverse = _mm512_set1_ps(m > 0 ? 127.0f / m : 0);
        scales[b] = m / 127.0f;
        for (int l = 0; l < 256; l += 16) {
            // Rounded to nearest, ties to even (the default rounding mode), within [-127, 127].
            __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + l), inverse));
            _mm_storeu_si128((__m128i *)(q + l), _mm512_cvtsepi32_epi8(v));
            sums16[16 * b + l / 16] = (int16_t)_mm512_reduce_add_epi32(v);
        }
    }
}

// Both kernels multiply each weight row by 1-4 activation rows (quants unpacked once), each
// row with its own accumulators, so a row's result does not depend on how many come along.
#define ROWS_MAX 4
#define BY_ROWS(kernel, ...)                                                        \
    switch (rows) {                                                                 \
    case 1: kernel(1, __VA_ARGS__); break;                                          \
    case 2: kernel(2, __VA_ARGS__); break;                                          \
    case 3: kernel(3, __VA_ARGS__); break;                                          \
    default: kernel(4, __VA_ARGS__); break;                                         \
    }

/// 64 unsigned quants times 64 int8 activations, pairs summed to int16 (no saturation: at most
/// 2 * 63 * 127), then pairs of those times their int16 scales summed to 16 int32 lanes.
AVX512 INLINE __m512i scaled_dot64(__m512i quants, __m512i x, __m512i scales) {
    return _mm512_madd_epi16(_mm512_maddubs_epi16(quants, x), scales);
}

// Q4_K: per 128 values (two chunks of 32 bytes), the low nibbles are sub-blocks 4h and 4h + 2,
// the high nibbles 4h + 1 and 4h + 3; their activations are gathered to match. The mins meet
// the float 32-value sums of x, as in the float forms.
AVX512 INLINE void dot_q4_k_q8(int rows, const uint8_t *b, const int8_t *xq, const float *xd, long ldx,
                               const float *sums, float *out, long ldout, int blocks) {
    __m512 acc[ROWS_MAX];
    __m256 accMin[ROWS_MAX];
    for (int r = 0; r < rows; r++) acc[r] = _mm512_setzero_ps(), accMin[r] = _mm256_setzero_ps();
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    // int16 lanes 16-31 (bytes 32-63) take the scale two sub-blocks on.
    const __m512i upperHalf = _mm512_mask_set1_epi16(_mm512_setzero_si512(), 0xFFFF0000u, 2);
    for (int i = 0; i < blocks; i++, b += 144) {
        uint32_t u[4];
        k4_unpack(b, u);
        const __m512i scales = _mm512_broadcast_i32x4(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)u)));
        // The mins times dmin, rounded as the float forms round them.
        const __m256 mins = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(u + 2)))),
                                          _mm256_set1_ps(half_at(b + 2)));
        __m512i sum[ROWS_MAX];
        for (int r = 0; r < rows; r++) {
            accMin[r] = _mm256_fmadd_ps(mins, _mm256_loadu_ps(sums + r * (ldx / 32) + 8 * i), accMin[r]);
            sum[r] = _mm512_setzero_si512();
        }
        for (int h = 0; h < 2; h++) {
            const __m512i q = _mm512_loadu_si512(b + 16 + 64 * h);
            const __m512i ql = _mm512_and_si512(q, low4), qu = _mm512_and_si512(_mm512_srli_epi16(q, 4), low4);
            const __m512i sl = _mm512_permutexvar_epi16(_mm512_add_epi16(upperHalf, _mm512_set1_epi16(4 * h)), scales);
            const __m512i su = _mm512_permutexvar_epi16(_mm512_add_epi16(upperHalf, _mm512_set1_epi16(4 * h + 1)), scales);
            for (int r = 0; r < rows; r++) {
                const int8_t *x = xq + r * ldx + 256 * i + 128 * h;
                __m512i xl = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)x)),
                                                _mm256_loadu_si256((const __m256i *)(x + 64)), 1);
                __m512i xu = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(x + 32))),
                                                _mm256_loadu_si256((const __m256i *)(x + 96)), 1);
                sum[r] = _mm512_add_epi32(sum[r], _mm512_add_epi32(scaled_dot64(ql, xl, sl), scaled_dot64(qu, xu, su)));
            }
        }
        const float d = half_at(b);
        for (int r = 0; r < rows; r++)
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[r]), _mm512_set1_ps(d * xd[r * (ldx / 256) + i]), acc[r]);
    }
    for (int r = 0; r < rows; r++) out[r * ldout] = _mm512_reduce_add_ps(acc[r]) - sum8(accMin[r]);
}

AVX512 void afina_dot_q4_k_q8(const void *w, const int8_t *xq, const float *xd, long ldx, const float *sums, int rows,
                              float *out, long ldout, int blocks) {
    BY_ROWS(dot_q4_k_q8, w, xq, xd, ldx, sums, out, ldout, blocks)
}

// Q6_K: per half of 128 values, the low nibbles of ql's 64 bytes are values 0-63 and the high
// nibbles 64-127, each with 2 bits from qh (bits 0-1 and 2-3, then 4-5 and 6-7); the quants
// are unsigned (q + 32), and 32 times each 16-value activation sum takes the offset back off.
AVX512 INLINE void dot_q6_k_q8(int rows, const uint8_t *b, const int8_t *xq, const float *xd, const int16_t *sums16,
                               long ldx, float *out, long ldout, int blocks) {
    __m512 acc[ROWS_MAX];
    for (int r = 0; r < rows; r++) acc[r] = _mm512_setzero_ps();
    const __m512i low4 = _mm512_set1_epi8(0x0F), low2 = _mm512_set1_epi8(0x03);
    // int16 lane j of a 64-value step covers values 2j, 2j+1: scale j / 8 of the step's four.
    const __m512i laneScale = _mm512_srli_epi16(_mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18,
                                                                 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3,
                                                                 2, 1, 0), 3);
    // qh's bits for the first and second 32 bytes of each step: shifts 0 and 2, then 4 and 6.
    const __m512i shiftLow = _mm512_mask_set1_epi16(_mm512_setzero_si512(), 0xFFFF0000u, 2);
    const __m512i shiftHigh = _mm512_add_epi16(shiftLow, _mm512_set1_epi16(4));
    for (int i = 0; i < blocks; i++, b += 210) {
        const __m256i scale16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + 192)));
        const __m512i scales = _mm512_zextsi256_si512(scale16);
        __m512i sum[ROWS_MAX];
        for (int r = 0; r < rows; r++) {
            // -32 * sum over the 16 groups of scale * (sum of their activations), in lanes 0-7.
            const __m256i offset = _mm256_madd_epi16(scale16, _mm256_loadu_si256((const __m256i *)(sums16 + r * (ldx / 16) + 16 * i)));
            sum[r] = _mm512_zextsi256_si512(_mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offset, 5)));
        }
        for (int n = 0; n < 2; n++) {
            const __m512i ql = _mm512_loadu_si512(b + 64 * n);
            const __m256i qh32 = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * n));
            const __m512i qh = _mm512_inserti64x4(_mm512_castsi256_si512(qh32), qh32, 1);
            const __m512i qa = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                               _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shiftLow), low2), 4));
            const __m512i qb = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                               _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(qh, shiftHigh), low2), 4));
            const __m512i sa = _mm512_permutexvar_epi16(_mm512_add_epi16(laneScale, _mm512_set1_epi16(8 * n)), scales);
            const __m512i sb = _mm512_permutexvar_epi16(_mm512_add_epi16(laneScale, _mm512_set1_epi16(8 * n + 4)), scales);
            for (int r = 0; r < rows; r++) {
                const int8_t *x = xq + r * ldx + 256 * i + 128 * n;
                sum[r] = _mm512_add_epi32(sum[r], _mm512_add_epi32(scaled_dot64(qa, _mm512_loadu_si512(x), sa),
                                                                   scaled_dot64(qb, _mm512_loadu_si512(x + 64), sb)));
            }
        }
        const float d = half_at(b + 208);
        for (int r = 0; r < rows; r++)
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[r]), _mm512_set1_ps(d * xd[r * (ldx / 256) + i]), acc[r]);
    }
    for (int r = 0; r < rows; r++) out[r * ldout] = _mm512_reduce_add_ps(acc[r]);
}

AVX512 void afina_dot_q6_k_q8(const void *w, const int8_t *xq, const float *xd, const int16_t *sums16, long ldx,
                              int rows, float *out, long ldout, int blocks) {
    BY_ROWS(dot_q6_k_q8, w, xq, xd, sums16, ldx, out, ldout, blocks)
}
