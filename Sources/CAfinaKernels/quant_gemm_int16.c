// Prefill products of K-quant weights with activations rounded to int16 per 64 values: as
// decoding's dots (quant_dot_int16.c), but in outer-product form: lanes are 16 tokens, a weight
// pair (quant times sub-block scale, two k at a time) is broadcast, and vpdpwssd adds 32 exact
// products per instruction where an fp32 FMA adds 16. The activations are packed once per
// product in pairs of k down columns of tokens; each group of weight rows is expanded to int16
// once per span of k and meets every token group of a pass from cache.
// An int32 lane is folded into the float sum, times the weight row's d and the tokens' scales,
// before it can overflow: a Q4_K weight times an activation is at most 945 * 32767, so every
// 64 values (2^31 / (945 * 32767) = 69); a Q6_K one at most 4096 * 32767, so every 16 (16).
// Q4_K's mins meet the float 32-value sums of x, as in the dots.
#include "quant_gemm.h"
#include "quant_dot.h"
#include "quant_common.h"
#include <immintrin.h>
#include <stdlib.h>

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))

/// acc + the products of a's and b's int16 pairs. In assembly because clang, tuning for no CPU
/// in particular, splits the intrinsic into vpmaddwd and vpaddd: twice the instructions (the
/// Zen 5 EPYC retires two vpdpwssd a cycle).
VNNI static inline __m512i dpwssd(__m512i acc, __m512i a, __m512i b) {
    __asm__("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
    return acc;
}
#define TOKENS 32       /* tokens per tile: two 16-lane vectors */
#define WROWS 6         /* weight rows per tile: 12 int32 and 12 float accumulators */
#define SPAN 2048       /* values of k per pass: a pass's activations stay in L2 */
#define CHUNK 128       /* tokens per pass */

long afina_i16_tokens(long n) { return (n + TOKENS - 1) / TOKENS * TOKENS; }

// Packed activations: each group of 32 tokens owns k/2 rows of 32 words (its pairs of k, so a
// tile streams them in order), then its k/64 rows of scales and k/32 rows of sums.
static long group_floats(long k) { return k / 2 * TOKENS + k / 64 * TOKENS + k / 32 * TOKENS; }

long afina_i16_packed_size(long n, long k) { return afina_i16_tokens(n) / TOKENS * group_floats(k) * 4; }

VNNI void afina_pack_activations_i16(const float *x, long k, void *packed, long row0, long row1) {
    int16_t *q = malloc(k * sizeof(int16_t));
    float *s = malloc(k / 32 * sizeof(float)), *d = malloc(k / 64 * sizeof(float));
    for (long t = row0; t < row1; t++) {
        uint32_t *words = (uint32_t *)packed + t / TOKENS * group_floats(k) + t % TOKENS;
        float *scales = (float *)(words + k / 2 * TOKENS), *sums = scales + k / 64 * TOKENS;
        afina_quantize_i16(x + t * k, k, 64, q, d);
        afina_sub_block_sums(x + t * k, k, s);
        const uint32_t *pairs = (const uint32_t *)q;
        for (long p = 0; p < k / 2; p++) words[p * TOKENS] = pairs[p];
        for (long b = 0; b < k / 64; b++) scales[b * TOKENS] = d[b];
        for (long b = 0; b < k / 32; b++) sums[b * TOKENS] = s[b];
    }
    free(q), free(s), free(d);
}

enum kind { Q4_K, Q6_K };

/// k-pairs between folds into float (see above).
#define FOLD(kind) ((kind) == Q4_K ? 32 : 8)

/// `blocks` super-blocks from b as int16 quant times sub-block scale, with each super-block's d
/// and (Q4_K) each sub-block's min times dmin, rounded as the dots round them.
VNNI static void expand(enum kind kind, const uint8_t *b, long blocks, int16_t *w, float *d, float *mins) {
    for (long i = 0; i < blocks; i++, w += 256) {
        if (kind == Q6_K) {
            d[i] = half_at(b + 208);
            for (int n = 0; n < 2; n++) {
                __m512i half[4];
                q6_k_half_i16(b, n, half);
                for (int j = 0; j < 4; j++) _mm512_storeu_si512(w + 128 * n + 32 * j, half[j]);
            }
            b += 210;
            continue;
        }
        uint32_t u[4];
        k4_unpack(b, u);
        const uint8_t *scale = (const uint8_t *)u, *min = (const uint8_t *)(u + 2);
        d[i] = half_at(b);
        for (int s = 0; s < 8; s++) mins[8 * i + s] = (float)min[s] * half_at(b + 2);
        for (int c = 0; c < 4; c++) {
            __m512i lo, hi;
            q45_k_chunk_i16(b + 16, _mm512_setzero_si512(), c, scale, 0, &lo, &hi);
            _mm512_storeu_si512(w + 64 * c, lo);
            _mm512_storeu_si512(w + 64 * c + 32, hi);
        }
        b += 144;
    }
}

/// Adds (or, in the first span, stores) out[t][j] for `rows` expanded weight rows (`span`
/// values each) and the 32 tokens of one packed group from t0 (those below n), over the span
/// starting at value v0.
VNNI static inline __attribute__((always_inline)) void tile(int rows, enum kind kind, const int16_t *w, const float *d,
        const float *mins, long span, const uint32_t *group, long k, long v0, long t0, long n, float *out, long ldout) {
    const uint32_t *words = group + v0 / 2 * TOKENS;
    const float *scales = (const float *)(group + k / 2 * TOKENS) + v0 / 64 * TOKENS;
    const float *sums = (const float *)(group + k / 2 * TOKENS) + k / 64 * TOKENS + v0 / 32 * TOKENS;
    const __m512i lanes = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                             _mm512_set1_epi32((int)ldout));
    __mmask16 mask[2];
    for (int h = 0; h < 2; h++) {
        const long valid = n - t0 - 16 * h;
        mask[h] = valid >= 16 ? (__mmask16)0xFFFF : valid <= 0 ? 0 : (__mmask16)((1u << valid) - 1);
    }
    __m512 acc[WROWS][2];
    for (int j = 0; j < rows; j++)
        for (int h = 0; h < 2; h++)
            acc[j][h] = v0 == 0 ? _mm512_setzero_ps()
                                : _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask[h], lanes, out + (t0 + 16 * h) * ldout + j, 4);
    const uint32_t *wp = (const uint32_t *)w;
    for (long i = 0; i < span / 256; i++) {
        for (long p0 = 128 * i; p0 < 128 * (i + 1); p0 += FOLD(kind)) {
            __m512i sum[WROWS][2];
            for (int j = 0; j < rows; j++) sum[j][0] = sum[j][1] = _mm512_setzero_si512();
            for (long p = p0; p < p0 + FOLD(kind); p++) {
                const __m512i x0 = _mm512_loadu_si512(words + p * TOKENS), x1 = _mm512_loadu_si512(words + p * TOKENS + 16);
                for (int j = 0; j < rows; j++) {
                    const __m512i wv = _mm512_set1_epi32((int)wp[j * (span / 2) + p]);
                    sum[j][0] = dpwssd(sum[j][0], wv, x0);
                    sum[j][1] = dpwssd(sum[j][1], wv, x1);
                }
            }
            const float *scale = scales + p0 / 32 * TOKENS;  // 64 values: 32 pairs
            const __m512 s0 = _mm512_loadu_ps(scale), s1 = _mm512_loadu_ps(scale + 16);
            for (int j = 0; j < rows; j++) {
                const __m512 dj = _mm512_set1_ps(d[j * (span / 256) + i]);
                acc[j][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[j][0]), _mm512_mul_ps(s0, dj), acc[j][0]);
                acc[j][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[j][1]), _mm512_mul_ps(s1, dj), acc[j][1]);
            }
        }
        if (kind == Q6_K) continue;
        for (long s = 8 * i; s < 8 * (i + 1); s++) {
            const __m512 x0 = _mm512_loadu_ps(sums + s * TOKENS), x1 = _mm512_loadu_ps(sums + s * TOKENS + 16);
            for (int j = 0; j < rows; j++) {
                const __m512 m = _mm512_set1_ps(mins[j * (span / 32) + s]);
                acc[j][0] = _mm512_fnmadd_ps(m, x0, acc[j][0]);
                acc[j][1] = _mm512_fnmadd_ps(m, x1, acc[j][1]);
            }
        }
    }
    for (int h = 0; h < 2; h++)
        for (int j = 0; j < rows; j++) _mm512_mask_i32scatter_ps(out + (t0 + 16 * h) * ldout + j, mask[h], lanes, acc[j][h], 4);
}

VNNI static void gemm(enum kind kind, const uint8_t *w, long rowBytes, long row0, long row1, long k, const void *packed,
                      long n, float *out, long ldout) {
    const long span = k < SPAN ? k : SPAN, blockBytes = kind == Q4_K ? 144 : 210;
    int16_t *expanded = malloc(WROWS * span * sizeof(int16_t));
    float *d = malloc(WROWS * (span / 256) * sizeof(float)), *mins = malloc(WROWS * (span / 32) * sizeof(float));
    for (long c0 = 0; c0 < n; c0 += CHUNK)
        for (long v0 = 0; v0 < k; v0 += span) {
            const long values = k - v0 < span ? k - v0 : span;
            for (long j0 = row0; j0 < row1; j0 += WROWS) {
                const int rows = row1 - j0 < WROWS ? (int)(row1 - j0) : WROWS;
                for (int j = 0; j < rows; j++)
                    expand(kind, w + (j0 + j) * rowBytes + v0 / 256 * blockBytes, values / 256, expanded + j * values,
                           d + j * (values / 256), mins + j * (values / 32));
                for (long t0 = c0; t0 < n && t0 < c0 + CHUNK; t0 += TOKENS) {
                    const uint32_t *group = (const uint32_t *)packed + t0 / TOKENS * group_floats(k);
#define TILE(r, kind) tile(r, kind, expanded, d, mins, values, group, k, v0, t0, n, out + j0, ldout)
#define TILES(kind)                                                                                    \
    switch (rows) {                                                                                    \
    case 1: TILE(1, kind); break;                                                                      \
    case 2: TILE(2, kind); break;                                                                      \
    case 3: TILE(3, kind); break;                                                                      \
    case 4: TILE(4, kind); break;                                                                      \
    case 5: TILE(5, kind); break;                                                                      \
    default: TILE(6, kind); break;                                                                     \
    }
                    if (kind == Q4_K) {
                        TILES(Q4_K)
                    } else {
                        TILES(Q6_K)
                    }
#undef TILES
#undef TILE
                }
            }
        }
    free(expanded), free(d), free(mins);
}

VNNI void afina_gemm_q4_k_i16(const void *w, long rowBytes, long row0, long row1, long k, const void *packed, long n,
                              float *out, long ldout) {
    gemm(Q4_K, w, rowBytes, row0, row1, k, packed, n, out, ldout);
}

VNNI void afina_gemm_q6_k_i16(const void *w, long rowBytes, long row0, long row1, long k, const void *packed, long n,
                              float *out, long ldout) {
    gemm(Q6_K, w, rowBytes, row0, row1, k, packed, n, out, ldout);
}
