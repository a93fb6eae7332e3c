// Fused dequantize-and-dot of one row of ggml k-quant super-blocks (256 values) with 1-4 rows
// of float32 activations, for decoding. Block layouts and the order of the dequantization arithmetic:
// Sources/AfinaTensor/Quant/KQuants.swift (ggml-common.h block_q4_K / q5_K / q6_K).
//
// Each sub-block's scale multiplies the sum of q * x over the sub-block, not each value:
// sum_l x_l * (d_j * q_l - m_j) = d_j * sum_l q_l x_l - m_j * sum_l x_l. Quants are widened
// straight from memory (8 bytes -> 8 int32 lanes), and the nibbles are split in int32 lanes,
// which costs fewer shuffles than splitting bytes and widening twice.
#include "quant_dot.h"
#include "quant_common.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/// 8 bytes at p, zero-extended to 8 int32 lanes.
static inline __m256i u8x8(const uint8_t *p) { return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)); }

/// Q4_K / Q5_K: the 8 sub-block scales times d and the 8 mins times dmin. Each value is
/// d * (float)scale, as the reference rounds it.
static inline void scales_mins_k4(const uint8_t *b, float *scale, float *min) {
    uint32_t u[4];
    k4_unpack(b, u);
    __m256 s = _mm256_cvtepi32_ps(u8x8((const uint8_t *)u)), m = _mm256_cvtepi32_ps(u8x8((const uint8_t *)(u + 2)));
    _mm256_storeu_ps(scale, _mm256_mul_ps(s, _mm256_set1_ps(half_at(b))));
    _mm256_storeu_ps(min, _mm256_mul_ps(m, _mm256_set1_ps(half_at(b + 2))));
}

// Q4_K and Q5_K share the loop: 4 chunks of 64 values, the first 32 from the low nibbles of
// 32 bytes and the next 32 from the high ones; Q5_K ORs in bit 4 from qh (bits 2c, 2c+1).
// Separate accumulators per half keep the FMA chains short enough to overlap.
INLINE void dot_q45_k(int rows, const uint8_t *b, const float *x, long ldx, const float *sums, float *out, long ldout,
                      int blocks, int five) {
    const int size = five ? 176 : 144;
    __m256 acc[ROWS_MAX][2], accMin[ROWS_MAX];
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = accMin[r] = _mm256_setzero_ps();
    const __m256i low4 = _mm256_set1_epi32(0x0F), one = _mm256_set1_epi32(1), two = _mm256_set1_epi32(2);
    for (int i = 0; i < blocks; i++, b += size) {
        float scale[8], min[8];
        scales_mins_k4(b, scale, min);
        const uint8_t *qh = b + 16, *qs = five ? b + 48 : b + 16;
        // The mins meet the sub-block sums of x, computed once per product for every weight row.
        const __m256 mins = _mm256_loadu_ps(min);
        for (int r = 0; r < rows; r++)
            accMin[r] = _mm256_fmadd_ps(mins, _mm256_loadu_ps(sums + r * (ldx / 32) + 8 * i), accMin[r]);
        for (int c = 0; c < 4; c++) {
            __m256 lo[ROWS_MAX], hi[ROWS_MAX];
            for (int r = 0; r < rows; r++) lo[r] = hi[r] = _mm256_setzero_ps();
            const __m128i shift = _mm_cvtsi32_si128(2 * c);
            for (int l = 0; l < 32; l += 8) {
                __m256i q = u8x8(qs + 32 * c + l);
                __m256i ql = _mm256_and_si256(q, low4), qu = _mm256_srli_epi32(q, 4);
                if (five) {
                    __m256i h = _mm256_srl_epi32(u8x8(qh + l), shift);
                    ql = _mm256_or_si256(ql, _mm256_slli_epi32(_mm256_and_si256(h, one), 4));
                    qu = _mm256_or_si256(qu, _mm256_slli_epi32(_mm256_and_si256(h, two), 3));
                }
                __m256 wl = _mm256_cvtepi32_ps(ql), wu = _mm256_cvtepi32_ps(qu);
                for (int r = 0; r < rows; r++) {
                    const float *xr = x + r * ldx + 256 * i + 64 * c + l;
                    __m256 x0 = _mm256_loadu_ps(xr), x1 = _mm256_loadu_ps(xr + 32);
                    lo[r] = _mm256_fmadd_ps(wl, x0, lo[r]);
                    hi[r] = _mm256_fmadd_ps(wu, x1, hi[r]);
                }
            }
            for (int r = 0; r < rows; r++) {
                acc[r][0] = _mm256_fmadd_ps(lo[r], _mm256_set1_ps(scale[2 * c]), acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(hi[r], _mm256_set1_ps(scale[2 * c + 1]), acc[r][1]);
            }
        }
    }
    for (int r = 0; r < rows; r++)
        out[r * ldout] = sum8(_mm256_sub_ps(_mm256_add_ps(acc[r][0], acc[r][1]), accMin[r]));
}

void afina_dot_q4_k(const void *w, const float *x, long ldx, const float *sums, int rows, float *out, long ldout,
                    int blocks) {
    BY_ROWS(dot_q45_k, w, x, ldx, sums, out, ldout, blocks, 0)
}

void afina_dot_q5_k(const void *w, const float *x, long ldx, const float *sums, int rows, float *out, long ldout,
                    int blocks) {
    BY_ROWS(dot_q45_k, w, x, ldx, sums, out, ldout, blocks, 1)
}

void afina_sub_block_sums(const float *x, long count, float *sums) {
    for (long j = 0; j < count / 32; j++) {
        const float *v = x + 32 * j;
        __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(v), _mm256_loadu_ps(v + 8)),
                                 _mm256_add_ps(_mm256_loadu_ps(v + 16), _mm256_loadu_ps(v + 24)));
        sums[j] = sum8(s);
    }
}

// Q6_K: two halves of 128 values; in each, quarter g takes its low 4 bits from nibble g / 2 of
// ql[l + 32 * (g % 2)] and its high 2 bits from bits 2g, 2g+1 of qh[l]; the scale changes
// every 16 values. One pass over l reads each ql and qh byte once for all four quarters.
INLINE void dot_q6_k(int rows, const uint8_t *b, const float *x, long ldx, float *out, long ldout, int blocks) {
    __m256 acc[ROWS_MAX][4];
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = _mm256_setzero_ps();
    const __m256i low4 = _mm256_set1_epi32(0x0F), high2 = _mm256_set1_epi32(0x30), bias = _mm256_set1_epi32(32);
    for (int i = 0; i < blocks; i++, b += 210) {
        // The 16 signed sub-block scales times d, converted together.
        float scale[16];
        const __m256 d = _mm256_set1_ps(half_at(b + 208));
        for (int h = 0; h < 2; h++)
            _mm256_storeu_ps(scale + 8 * h, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
                                                 _mm_loadl_epi64((const __m128i *)(b + 192 + 8 * h))))));
        for (int n = 0; n < 2; n++) {
            const uint8_t *ql = b + 64 * n, *qh = b + 128 + 32 * n;
            for (int s = 0; s < 2; s++) {
                __m256 t[ROWS_MAX][4];
                for (int r = 0; r < rows; r++) t[r][0] = t[r][1] = t[r][2] = t[r][3] = _mm256_setzero_ps();
                for (int l = 16 * s; l < 16 * s + 16; l += 8) {
                    __m256i a = u8x8(ql + l), c = u8x8(ql + 32 + l), h = u8x8(qh + l);
                    __m256i q[4] = {
                        _mm256_or_si256(_mm256_and_si256(a, low4), _mm256_and_si256(_mm256_slli_epi32(h, 4), high2)),
                        _mm256_or_si256(_mm256_and_si256(c, low4), _mm256_and_si256(_mm256_slli_epi32(h, 2), high2)),
                        _mm256_or_si256(_mm256_srli_epi32(a, 4), _mm256_and_si256(h, high2)),
                        _mm256_or_si256(_mm256_srli_epi32(c, 4), _mm256_and_si256(_mm256_srli_epi32(h, 2), high2)),
                    };
                    for (int g = 0; g < 4; g++) {
                        __m256 wg = _mm256_cvtepi32_ps(_mm256_sub_epi32(q[g], bias));
                        for (int r = 0; r < rows; r++)
                            t[r][g] = _mm256_fmadd_ps(wg, _mm256_loadu_ps(x + r * ldx + 256 * i + 128 * n + 32 * g + l), t[r][g]);
                    }
                }
                for (int r = 0; r < rows; r++)
                    for (int g = 0; g < 4; g++)
                        acc[r][g] = _mm256_fmadd_ps(t[r][g], _mm256_set1_ps(scale[8 * n + 2 * g + s]), acc[r][g]);
            }
        }
    }
    for (int r = 0; r < rows; r++)
        out[r * ldout] = sum8(_mm256_add_ps(_mm256_add_ps(acc[r][0], acc[r][1]), _mm256_add_ps(acc[r][2], acc[r][3])));
}

void afina_dot_q6_k(const void *w, const float *x, long ldx, int rows, float *out, long ldout, int blocks) {
    BY_ROWS(dot_q6_k, w, x, ldx, out, ldout, blocks)
}

// The same dots on 16-lane AVX-512 registers, for CPUs that run them at full width (the Zen 5
// EPYC machines). Each row's sums come in another order than the AVX2 forms' (16 lanes, half
// the steps), still the same whatever the number of rows.

/// 16 bytes at p, zero-extended to 16 int32 lanes.
AVX512 static inline __m512i u8x16(const uint8_t *p) { return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)); }

AVX512 INLINE void dot_q45_k_512(int rows, const uint8_t *b, const float *x, long ldx, const float *sums, float *out,
                                 long ldout, int blocks, int five) {
    const int size = five ? 176 : 144;
    __m512 acc[ROWS_MAX][2];
    __m256 accMin[ROWS_MAX];
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps(), accMin[r] = _mm256_setzero_ps();
    const __m512i low4 = _mm512_set1_epi32(0x0F), one = _mm512_set1_epi32(1), two = _mm512_set1_epi32(2);
    for (int i = 0; i < blocks; i++, b += size) {
        float scale[8], min[8];
        scales_mins_k4(b, scale, min);
        const uint8_t *qh = b + 16, *qs = five ? b + 48 : b + 16;
        const __m256 mins = _mm256_loadu_ps(min);
        for (int r = 0; r < rows; r++)
            accMin[r] = _mm256_fmadd_ps(mins, _mm256_loadu_ps(sums + r * (ldx / 32) + 8 * i), accMin[r]);
        for (int c = 0; c < 4; c++) {
            __m512 lo[ROWS_MAX], hi[ROWS_MAX];
            for (int r = 0; r < rows; r++) lo[r] = hi[r] = _mm512_setzero_ps();
            const __m128i shift = _mm_cvtsi32_si128(2 * c);
            for (int l = 0; l < 32; l += 16) {
                __m512i q = u8x16(qs + 32 * c + l);
                __m512i ql = _mm512_and_si512(q, low4), qu = _mm512_srli_epi32(q, 4);
                if (five) {
                    __m512i h = _mm512_srl_epi32(u8x16(qh + l), shift);
                    ql = _mm512_or_si512(ql, _mm512_slli_epi32(_mm512_and_si512(h, one), 4));
                    qu = _mm512_or_si512(qu, _mm512_slli_epi32(_mm512_and_si512(h, two), 3));
                }
                __m512 wl = _mm512_cvtepi32_ps(ql), wu = _mm512_cvtepi32_ps(qu);
                for (int r = 0; r < rows; r++) {
                    const float *xr = x + r * ldx + 256 * i + 64 * c + l;
                    lo[r] = _mm512_fmadd_ps(wl, _mm512_loadu_ps(xr), lo[r]);
                    hi[r] = _mm512_fmadd_ps(wu, _mm512_loadu_ps(xr + 32), hi[r]);
                }
            }
            for (int r = 0; r < rows; r++) {
                acc[r][0] = _mm512_fmadd_ps(lo[r], _mm512_set1_ps(scale[2 * c]), acc[r][0]);
                acc[r][1] = _mm512_fmadd_ps(hi[r], _mm512_set1_ps(scale[2 * c + 1]), acc[r][1]);
            }
        }
    }
    for (int r = 0; r < rows; r++)
        out[r * ldout] = _mm512_reduce_add_ps(_mm512_add_ps(acc[r][0], acc[r][1])) - sum8(accMin[r]);
}

AVX512 void afina_dot_q4_k_512(const void *w, const float *x, long ldx, const float *sums, int rows, float *out,
                               long ldout, int blocks) {
    BY_ROWS(dot_q45_k_512, w, x, ldx, sums, out, ldout, blocks, 0)
}

AVX512 void afina_dot_q5_k_512(const void *w, const float *x, long ldx, const float *sums, int rows, float *out,
                               long ldout, int blocks) {
    BY_ROWS(dot_q45_k_512, w, x, ldx, sums, out, ldout, blocks, 1)
}

// Q4_1 (ggml's 32-value blocks, w = d * q + m) on 16 lanes: a block's low nibbles are values
// 0-15 and its high ones 16-31, one vector each; d and m are converted together, and m meets
// the block's float sum of x (given, as the k-quants' mins do). Half the instructions of the
// AVX2 form: SmolLM2's decode products ran in half the time (1536 x 576: 52 -> 26 us).
AVX512 INLINE void dot_q4_1_512(int rows, const uint8_t *b, const float *x, long ldx, const float *sums, float *out,
                                long ldout, int blocks) {
    __m512 acc[ROWS_MAX];
    __m128 accMin[ROWS_MAX];
    for (int r = 0; r < rows; r++) acc[r] = _mm512_setzero_ps(), accMin[r] = _mm_setzero_ps();
    const __m128i low4 = _mm_set1_epi8(0x0F);
    for (int i = 0; i < blocks; i++, b += 20) {
        uint32_t dm;
        memcpy(&dm, b, 4);
        const __m128 scales = _mm_cvtph_ps(_mm_cvtsi32_si128((int)dm));  // d, m, 0, 0
        const __m512 d = _mm512_broadcastss_ps(scales);
        const __m128 m = _mm_movehdup_ps(scales);
        const __m128i q = _mm_loadu_si128((const __m128i *)(b + 4));
        const __m512 lo = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(q, low4)));
        const __m512 hi = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(q, 4), low4)));
        for (int r = 0; r < rows; r++) {
            const float *xr = x + r * ldx + 32 * i;
            const __m512 t = _mm512_fmadd_ps(hi, _mm512_loadu_ps(xr + 16), _mm512_mul_ps(lo, _mm512_loadu_ps(xr)));
            acc[r] = _mm512_fmadd_ps(t, d, acc[r]);
            accMin[r] = _mm_fmadd_ss(m, _mm_load_ss(sums + r * (ldx / 32) + i), accMin[r]);
        }
    }
    for (int r = 0; r < rows; r++) out[r * ldout] = _mm512_reduce_add_ps(acc[r]) + _mm_cvtss_f32(accMin[r]);
}

AVX512 void afina_dot_q4_1_512(const void *w, const float *x, long ldx, const float *sums, int rows, float *out,
                               long ldout, int blocks) {
    BY_ROWS(dot_q4_1_512, w, x, ldx, sums, out, ldout, blocks)
}

AVX512 INLINE void dot_q6_k_512(int rows, const uint8_t *b, const float *x, long ldx, float *out, long ldout, int blocks) {
    __m512 acc[ROWS_MAX][4];
    for (int r = 0; r < rows; r++) acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = _mm512_setzero_ps();
    const __m512i low4 = _mm512_set1_epi32(0x0F), high2 = _mm512_set1_epi32(0x30), bias = _mm512_set1_epi32(32);
    for (int i = 0; i < blocks; i++, b += 210) {
        float scale[16];
        const __m256 d = _mm256_set1_ps(half_at(b + 208));
        for (int h = 0; h < 2; h++)
            _mm256_storeu_ps(scale + 8 * h, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
                                                 _mm_loadl_epi64((const __m128i *)(b + 192 + 8 * h))))));
        for (int n = 0; n < 2; n++) {
            const uint8_t *ql = b + 64 * n, *qh = b + 128 + 32 * n;
            // Each 16 values of a quarter share one scale: one step of 16 lanes per (s, g).
            for (int s = 0; s < 2; s++) {
                const int l = 16 * s;
                __m512i a = u8x16(ql + l), c = u8x16(ql + 32 + l), h = u8x16(qh + l);
                __m512i q[4] = {
                    _mm512_or_si512(_mm512_and_si512(a, low4), _mm512_and_si512(_mm512_slli_epi32(h, 4), high2)),
                    _mm512_or_si512(_mm512_and_si512(c, low4), _mm512_and_si512(_mm512_slli_epi32(h, 2), high2)),
                    _mm512_or_si512(_mm512_srli_epi32(a, 4), _mm512_and_si512(h, high2)),
                    _mm512_or_si512(_mm512_srli_epi32(c, 4), _mm512_and_si512(_mm512_srli_epi32(h, 2), high2)),
                };
                for (int g = 0; g < 4; g++) {
                    __m512 wg = _mm512_cvtepi32_ps(_mm512_sub_epi32(q[g], bias));
                    const __m512 sc = _mm512_set1_ps(scale[8 * n + 2 * g + s]);
                    for (int r = 0; r < rows; r++) {
                        __m512 t = _mm512_mul_ps(wg, _mm512_loadu_ps(x + r * ldx + 256 * i + 128 * n + 32 * g + l));
                        acc[r][g] = _mm512_fmadd_ps(t, sc, acc[r][g]);
                    }
                }
            }
        }
    }
    for (int r = 0; r < rows; r++)
        out[r * ldout] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[r][0], acc[r][1]),
                                                            _mm512_add_ps(acc[r][2], acc[r][3])));
}

AVX512 void afina_dot_q6_k_512(const void *w, const float *x, long ldx, int rows, float *out, long ldout, int blocks) {
    BY_ROWS(dot_q6_k_512, w, x, ldx, out, ldout, blocks)
}
