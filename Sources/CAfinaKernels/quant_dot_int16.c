// Decode dots with activations rounded to 16 bits: Q8_0 and Q5_0 per block of 32 values, Q4_K,
// Q5_K and Q6_K per super-block of 256. Quants (times their sub-block scales, which still fit 16
// bits) meet the int16 activations exactly in integers, 32 at a time (vpmaddwd), where the
// float forms widen and convert every quant to float. llama.cpp rounds activations to 8 bits
// instead; on Gemma 3 270M that moved top-5 log-probs by up to 0.07 and changed a greedy
// continuation, while 16 bits keep both within transformers' tolerance (2e-3). Each value moves
// by at most half a step, amax / 32767 / 2.
// Block layouts: Sources/AfinaTensor/Quant/ (ggml-common.h block_q8_0 / q5_0 / q4_K / q6_K).
#include "quant_dot.h"
#include "quant_common.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>


AVX512 void afina_quantize_i16(const float *x, long count, int block, int16_t *q, float *scales) {
    for (long b = 0; b < count / block; b++, x += block, q += block) {
        __m512 amax = _mm512_setzero_ps();
        __mmask16 nan = 0;
        for (int l = 0; l < block; l += 16) {
            const __m512 v = _mm512_loadu_ps(x + l);
            amax = _mm512_max_ps(amax, _mm512_abs_ps(v));
            nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        }
        const float m = _mm512_reduce_max_ps(amax);
        const __m512 inverse = _mm512_set1_ps(m > 0 && !nan ? 32767.0f / m : 0);
        // A NaN in the block makes its scale NaN, so the dots come out NaN as the float ones
        // do (vmaxps would drop it); an infinity makes it infinite, and 0 * inf is NaN too.
        scales[b] = nan ? __builtin_nanf("") : m / 32767.0f;
        // Rounded to nearest, ties to even (the default rounding mode), within [-32767, 32767].
        for (int l = 0; l < block; l += 16)
            _mm256_storeu_si256((__m256i *)(q + l), _mm512_cvtsepi32_epi16(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + l), inverse))));
    }
}

/// One 32-value block: its 32 signed quants (int8 lanes) times the block's int16
/// activations, as 16 int32 lanes (at most 2 * 128 * 32767 each).
AVX512 INLINE __m512i dot32_i16(__m256i quants, const int16_t *x) {
    return _mm512_madd_epi16(_mm512_cvtepi8_epi16(quants), _mm512_loadu_si512(x));
}

AVX512 float afina_dot_q8_0_i16(const void *w, const int16_t *xq, const float *xd, int blocks) {
    const uint8_t *b = w;
    __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int i = 0; i < blocks; i++, b += 34) {
        __m512i s = dot32_i16(_mm256_loadu_si256((const __m256i *)(b + 2)), xq + 32 * i);
        acc[i & 1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(half_at(b) * xd[i]), acc[i & 1]);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc[0], acc[1]));
}

AVX512 float afina_dot_q5_0_i16(const void *w, const int16_t *xq, const float *xd, int blocks) {
    const uint8_t *b = w;
    __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int i = 0; i < blocks; i++, b += 22) {
        uint32_t high;
        memcpy(&high, b + 2, 4);
        __m256i q = _mm256_sub_epi8(_mm256_or_si256(nibbles32(b + 6), fifth_bits(high)), _mm256_set1_epi8(16));
        __m512i s = dot32_i16(q, xq + 32 * i);
        acc[i & 1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_set1_ps(half_at(b) * xd[i]), acc[i & 1]);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc[0], acc[1]));
}

// Q4_K and Q5_K: each chunk of 64 values (q45_k_chunk_i16) meets its activations in int16; a
// super-block's sum (at most 16 * 1953 * 32767 per lane) fits 32 bits. The mins meet the float 32-value sums of x, as in the float forms.
AVX512 INLINE void dot_q45_k_i16(int rows, const uint8_t *b, const int16_t *xq, const float *xd, long ldx,
                                 const float *sums, float *out, long ldout, int blocks, int five) {
    const int size = five ? 176 : 144;
    __m512 acc[ROWS_MAX];
    __m256 accMin[ROWS_MAX];
    for (int r = 0; r < rows; r++) acc[r] = _mm512_setzero_ps(), accMin[r] = _mm256_setzero_ps();
    for (int i = 0; i < blocks; i++, b += size) {
        uint32_t u[4];
        k4_unpack(b, u);
        const uint8_t *scale = (const uint8_t *)u, *qs = five ? b + 48 : b + 16;
        const __m512i qh = five ? _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(b + 16))) : _mm512_setzero_si512();
        // The mins times dmin, rounded as the float forms round them.
        const __m256 mins = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(u + 2)))),
                                          _mm256_set1_ps(half_at(b + 2)));
        __m512i sum[ROWS_MAX];
        for (int r = 0; r < rows; r++) {
            accMin[r] = _mm256_fmadd_ps(mins, _mm256_loadu_ps(sums + r * (ldx / 32) + 8 * i), accMin[r]);
            sum[r] = _mm512_setzero_si512();
        }
        for (int c = 0; c < 4; c++) {
            __m512i lo, hi;
            q45_k_chunk_i16(qs, qh, c, scale, five, &lo, &hi);
            for (int r = 0; r < rows; r++) {
                const int16_t *x = xq + r * ldx + 256 * i + 64 * c;
                sum[r] = _mm512_add_epi32(sum[r], _mm512_add_epi32(_mm512_madd_epi16(lo, _mm512_loadu_si512(x)),
                                                                   _mm512_madd_epi16(hi, _mm512_loadu_si512(x + 32))));
            }
        }
        const float d = half_at(b);
        for (int r = 0; r < rows; r++)
            acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[r]), _mm512_set1_ps(d * xd[r * (ldx / 256) + i]), acc[r]);
    }
    for (int r = 0; r < rows; r++) out[r * ldout] = _mm512_reduce_add_ps(acc[r]) - sum8(accMin[r]);
}

AVX512 void afina_dot_q4_k_i16(const void *w, const int16_t *xq, const float *xd, long ldx, const float *sums, int rows,
                               float *out, long ldout, int blocks) {
    BY_ROWS(dot_q45_k_i16, w, xq, xd, ldx, sums, out, ldout, blocks, 0)
}

AVX512 void afina_dot_q5_k_i16(const void *w, const int16_t *xq, const float *xd, long ldx, const float *sums, int rows,
                               float *out, long ldout, int blocks) {
    BY_ROWS(dot_q45_k_i16, w, xq, xd, ldx, sums, out, ldout, blocks, 1)
}

// Q6_K: each half of 128 values (q6_k_half_i16) meets its activations in int16; a half's sum
// per lane (4 * 2 * 4096 * 32767) fits 32 bits, so each half meets d in float.
AVX512 INLINE void dot_q6_k_i16(int rows, const uint8_t *b, const int16_t *xq, const float *xd, long ldx, float *out,
                                long ldout, int blocks) {
    __m512 acc[ROWS_MAX];
    for (int r = 0; r < rows; r++) acc[r] = _mm512_setzero_ps();
    for (int i = 0; i < blocks; i++, b += 210) {
        const float d = half_at(b + 208);
        for (int n = 0; n < 2; n++) {
            __m512i wj[4];
            q6_k_half_i16(b, n, wj);
            for (int r = 0; r < rows; r++) {
                const int16_t *x = xq + r * ldx + 256 * i + 128 * n;
                __m512i sum = _mm512_add_epi32(_mm512_madd_epi16(wj[0], _mm512_loadu_si512(x)),
                                               _mm512_madd_epi16(wj[1], _mm512_loadu_si512(x + 32)));
                sum = _mm512_add_epi32(sum, _mm512_add_epi32(_mm512_madd_epi16(wj[2], _mm512_loadu_si512(x + 64)),
                                                             _mm512_madd_epi16(wj[3], _mm512_loadu_si512(x + 96))));
                acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(d * xd[r * (ldx / 256) + i]), acc[r]);
            }
        }
    }
    for (int r = 0; r < rows; r++) out[r * ldout] = _mm512_reduce_add_ps(acc[r]);
}

AVX512 void afina_dot_q6_k_i16(const void *w, const int16_t *xq, const float *xd, long ldx, int rows, float *out,
                               long ldout, int blocks) {
    BY_ROWS(dot_q6_k_i16, w, xq, xd, ldx, out, ldout, blocks)
}
