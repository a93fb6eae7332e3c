// Prefill products of K-quant weights with activations rounded to int16 per 256 values, as
// decoding's dots round them (quant_dot_int16.c), but in outer-product form: lanes are 16
// tokens, a weight pair (quant times sub-block scale, two k at a time) is broadcast, and
// vpdpwssd adds 32 exact products per instruction where an fp32 FMA adds 16. The activations
// are packed once per product in pairs of k down columns of tokens; each group of weight rows
// is expanded to int16 once and meets every token group from cache.
// A Q4_K weight times an activation is at most 945 * 32767, so an int32 lane holds 64 values'
// products (2^31 / (945 * 32767) = 69) and is folded into the float sum every 64 values,
// times the weight row's d and the token's scale; the mins meet the float 32-value sums of x
// as in the dots.
#include "quant_gemm.h"
#include "quant_dot.h"
#include "quant_common.h"
#include <immintrin.h>
#include <stdlib.h>

#define VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define TOKENS 32   /* tokens per tile: two 16-lane vectors */
#define WROWS 6     /* weight rows per tile: 12 int32 and 12 float accumulators */

long afina_i16_tokens(long n) { return (n + TOKENS - 1) / TOKENS * TOKENS; }

VNNI void afina_pack_activations_i16(const float *x, long k, long tokens, uint32_t *words, float *scales, float *sums,
                                     long row0, long row1) {
    int16_t *q = malloc(k * sizeof(int16_t));
    float *s = malloc(k / 32 * sizeof(float)), *d = malloc(k / 64 * sizeof(float));
    for (long t = row0; t < row1; t++) {
        afina_quantize_i16(x + t * k, k, 64, q, d);
        afina_sub_block_sums(x + t * k, k, s);
        const uint32_t *pairs = (const uint32_t *)q;
        for (long p = 0; p < k / 2; p++) words[p * tokens + t] = pairs[p];
        for (long b = 0; b < k / 64; b++) scales[b * tokens + t] = d[b];
        for (long b = 0; b < k / 32; b++) sums[b * tokens + t] = s[b];
    }
    free(q), free(s), free(d);
}

/// Q4_K row `b` (k values) as int16 quant times sub-block scale, with each super-block's d and
/// each sub-block's min times dmin (rounded as the dots round them).
VNNI static void expand_q4_k(const uint8_t *b, long k, int16_t *w, float *d, float *mins) {
    const __m512i low4 = _mm512_set1_epi16(0x0F);
    for (long i = 0; i < k / 256; i++, b += 144, w += 256) {
        uint32_t u[4];
        k4_unpack(b, u);
        const uint8_t *scale = (const uint8_t *)u, *min = (const uint8_t *)(u + 2);
        d[i] = half_at(b);
        for (int s = 0; s < 8; s++) mins[8 * i + s] = (float)min[s] * half_at(b + 2);
        for (int c = 0; c < 4; c++) {
            const __m512i q = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(b + 16 + 32 * c)));
            _mm512_storeu_si512(w + 64 * c, _mm512_mullo_epi16(_mm512_and_si512(q, low4), _mm512_set1_epi16(scale[2 * c])));
            _mm512_storeu_si512(w + 64 * c + 32, _mm512_mullo_epi16(_mm512_srli_epi16(q, 4), _mm512_set1_epi16(scale[2 * c + 1])));
        }
    }
}

/// out[t][j] for `rows` expanded weight rows and the 32 tokens from t0 (those below n stored).
VNNI static inline __attribute__((always_inline)) void q4_k_tile(int rows, const int16_t *w, const float *d,
        const float *mins, long k, const uint32_t *words, const float *scales, const float *sums, long tokens, long t0,
        long n, float *out, long ldout) {
    __m512 acc[WROWS][2];
    for (int j = 0; j < rows; j++) acc[j][0] = acc[j][1] = _mm512_setzero_ps();
    const uint32_t *wp = (const uint32_t *)w;
    for (long i = 0; i < k / 256; i++) {
        for (long p0 = 128 * i; p0 < 128 * (i + 1); p0 += 32) {
            __m512i sum[WROWS][2];
            for (int j = 0; j < rows; j++) sum[j][0] = sum[j][1] = _mm512_setzero_si512();
            for (long p = p0; p < p0 + 32; p++) {
                const __m512i x0 = _mm512_loadu_si512(words + p * tokens + t0);
                const __m512i x1 = _mm512_loadu_si512(words + p * tokens + t0 + 16);
                for (int j = 0; j < rows; j++) {
                    const __m512i wv = _mm512_set1_epi32((int)wp[j * (k / 2) + p]);
                    sum[j][0] = _mm512_dpwssd_epi32(sum[j][0], wv, x0);
                    sum[j][1] = _mm512_dpwssd_epi32(sum[j][1], wv, x1);
                }
            }
            const float *scale = scales + p0 / 32 * tokens + t0;
            const __m512 s0 = _mm512_loadu_ps(scale), s1 = _mm512_loadu_ps(scale + 16);
            for (int j = 0; j < rows; j++) {
                const __m512 dj = _mm512_set1_ps(d[j * (k / 256) + i]);
                acc[j][0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[j][0]), _mm512_mul_ps(s0, dj), acc[j][0]);
                acc[j][1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[j][1]), _mm512_mul_ps(s1, dj), acc[j][1]);
            }
        }
        for (long s = 8 * i; s < 8 * (i + 1); s++) {
            const __m512 x0 = _mm512_loadu_ps(sums + s * tokens + t0), x1 = _mm512_loadu_ps(sums + s * tokens + t0 + 16);
            for (int j = 0; j < rows; j++) {
                const __m512 m = _mm512_set1_ps(mins[j * (k / 32) + s]);
                acc[j][0] = _mm512_fnmadd_ps(m, x0, acc[j][0]);
                acc[j][1] = _mm512_fnmadd_ps(m, x1, acc[j][1]);
            }
        }
    }
    const __m512i lanes = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                             _mm512_set1_epi32((int)ldout));
    for (int h = 0; h < 2; h++) {
        const long first = t0 + 16 * h, valid = n - first;
        if (valid <= 0) break;
        const __mmask16 mask = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
        for (int j = 0; j < rows; j++) _mm512_mask_i32scatter_ps(out + first * ldout + j, mask, lanes, acc[j][h], 4);
    }
}

VNNI void afina_gemm_q4_k_i16(const void *w, long rowBytes, long row0, long row1, long k, const uint32_t *words,
                              const float *scales, const float *sums, long tokens, long n, float *out, long ldout) {
    int16_t *expanded = malloc(WROWS * k * sizeof(int16_t));
    float *d = malloc(WROWS * (k / 256) * sizeof(float)), *mins = malloc(WROWS * (k / 32) * sizeof(float));
    for (long j0 = row0; j0 < row1; j0 += WROWS) {
        const int rows = row1 - j0 < WROWS ? (int)(row1 - j0) : WROWS;
        for (int j = 0; j < rows; j++)
            expand_q4_k((const uint8_t *)w + (j0 + j) * rowBytes, k, expanded + j * k, d + j * (k / 256), mins + j * (k / 32));
        for (long t0 = 0; t0 < n; t0 += TOKENS) {
#define TILE(r) q4_k_tile(r, expanded, d, mins, k, words, scales, sums, tokens, t0, n, out + j0, ldout)
            switch (rows) {
            case 1: TILE(1); break;
            case 2: TILE(2); break;
            case 3: TILE(3); break;
            case 4: TILE(4); break;
            case 5: TILE(5); break;
            default: TILE(6); break;
            }
#undef TILE
        }
    }
    free(expanded), free(d), free(mins);
}
