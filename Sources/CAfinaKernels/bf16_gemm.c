// bfloat16 products in outer-product form: an 8 x 32 tile of C lives in 16 zmm accumulators;
// each k-pair of A is broadcast and multiplied into two 16-lane vectors of B's k-pairs
// (vdpbf16ps), so no horizontal reductions are needed. B is packed once per product into
// 32-column panels ([k/2][32][2]); A is converted to bfloat16 rows (round to nearest even).
#include "bf16_gemm.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define BF16 __attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))

static long pairs(long k) { return (k + 1) / 2; }

long afina_bf16_row_width(long k) { return (k + 31) / 32 * 32; }

long afina_bf16_packed_size(long k, long m) { return ((m + 31) / 32) * afina_bf16_row_width(k) * 32; }

// Conversions round to nearest even (vcvtneps2bf16), 16 floats at a time; lanes past the
// end of the data load as zeros, which is how every padding gets written.

static inline __mmask16 first(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? 0 : (__mmask16)((1u << count) - 1);
}

// Sixteen k-pairs as 32-bit words: the low half from `lo`, the high half from `hi`.
BF16 static inline __m512i pair_words(__m512 lo, __m512 hi) {
    __m512i low = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(lo));
    __m512i high = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(hi));
    return _mm512_or_si512(low, _mm512_slli_epi32(high, 16));
}

// Lane i holds i * stride: the word offsets of a 16-lane scatter down a column.
BF16 static inline __m512i lane_strides(long stride) {
    return _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                              _mm512_set1_epi32((int)stride));
}

BF16 void afina_bf16_pack_b(const float *b, long ldb, int transposed, long k, long m, unsigned short *out,
                            long panel0, long panel1) {
    long kq = afina_bf16_row_width(k) / 2;
    for (long p = panel0; p < panel1; p++) {
        unsigned short *panel = out + p * kq * 64;
        long cols = m - p * 32 < 32 ? m - p * 32 : 32;
        if (transposed) {
            // Column j of B is row j of the given matrix: 32 of its floats are 16 k-pairs,
            // one word each in 16 successive 128-byte pair rows of the panel.
            const __m512i rows = lane_strides(32);
            for (long r0 = 0; r0 < 2 * kq; r0 += 32)
                for (long j = 0; j < 32; j++) {
                    const float *row = b + (p * 32 + j) * ldb + r0;
                    long valid = j < cols ? k - r0 : 0;
                    __m512 x0 = _mm512_maskz_loadu_ps(first(valid), row);
                    __m512 x1 = _mm512_maskz_loadu_ps(first(valid - 16), row + 16);
                    __m512i words = (__m512i)_mm512_cvtne2ps_pbh(x1, x0);
                    _mm512_i32scatter_epi32(panel + r0 * 32 + j * 2, rows, words, 4);
                }
        } else {
            for (long q = 0; q < kq; q++)
                for (long j0 = 0; j0 < 32; j0 += 16) {
                    __mmask16 mask = first(cols - j0);
                    const float *row = b + 2 * q * ldb + p * 32 + j0;
                    __m512 lo = 2 * q < k ? _mm512_maskz_loadu_ps(mask, row) : _mm512_setzero_ps();
                    __m512 hi = 2 * q + 1 < k ? _mm512_maskz_loadu_ps(mask, row + ldb) : _mm512_setzero_ps();
                    _mm512_storeu_si512(panel + q * 64 + j0 * 2, pair_words(lo, hi));
                }
        }
    }
}

BF16 void afina_bf16_convert_a(const float *a, long lda, long k, unsigned short *out, long row0, long row1) {
    long width = afina_bf16_row_width(k);
    for (long i = row0; i < row1; i++)
        for (long p = 0; p < width; p += 32) {
            const float *src = a + i * lda + p;
            __m512 x0 = _mm512_maskz_loadu_ps(first(k - p), src);
            __m512 x1 = _mm512_maskz_loadu_ps(first(k - p - 16), src + 16);
            _mm512_storeu_si512(out + i * width + p, (__m512i)_mm512_cvtne2ps_pbh(x1, x0));
        }
}

BF16 void afina_bf16_convert_at(const float *a, long lda, long k, float alpha, unsigned short *out, long row0, long row1) {
    long width = afina_bf16_row_width(k);
    const __m512 scale = _mm512_set1_ps(alpha);
    // 16 rows of the result at a time: source rows p and p + 1 give 16 k-pairs, one word per row.
    const __m512i rows = lane_strides(width / 2);
    for (long i0 = row0; i0 < row1; i0 += 16) {
        __mmask16 mask = first(row1 - i0);
        for (long p = 0; p < width; p += 2) {
            __m512 lo = p < k ? _mm512_maskz_loadu_ps(mask, a + p * lda + i0) : _mm512_setzero_ps();
            __m512 hi = p + 1 < k ? _mm512_maskz_loadu_ps(mask, a + (p + 1) * lda + i0) : _mm512_setzero_ps();
            __m512i words = pair_words(_mm512_mul_ps(lo, scale), _mm512_mul_ps(hi, scale));
            _mm512_mask_i32scatter_epi32(out + i0 * width + p, mask, rows, words, 4);
        }
    }
}

// C[rows x cols] (=, or +=) A rows (`stride` k-pairs apart) · a B panel, over the first kq k-pairs.
BF16 static void tile(const unsigned short *a, long kq, long stride, const unsigned short *panel, long rows, long cols,
                      float *c, long ldc, int accumulate) {
    __m512 acc[8][2];
    for (int r = 0; r < 8; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    const uint32_t *arow = (const uint32_t *)a;
    if (rows == 8) {
        for (long q = 0; q < kq; q++) {
            __m512bh b0 = (__m512bh)_mm512_loadu_si512(panel + q * 64);
            __m512bh b1 = (__m512bh)_mm512_loadu_si512(panel + q * 64 + 32);
            for (int r = 0; r < 8; r++) {
                __m512bh av = (__m512bh)_mm512_set1_epi32((int)arow[r * stride + q]);
                acc[r][0] = _mm512_dpbf16_ps(acc[r][0], av, b0);
                acc[r][1] = _mm512_dpbf16_ps(acc[r][1], av, b1);
            }
        }
    } else {
        for (long q = 0; q < kq; q++) {
            __m512bh b0 = (__m512bh)_mm512_loadu_si512(panel + q * 64);
            __m512bh b1 = (__m512bh)_mm512_loadu_si512(panel + q * 64 + 32);
            for (int r = 0; r < rows; r++) {
                __m512bh av = (__m512bh)_mm512_set1_epi32((int)arow[r * stride + q]);
                acc[r][0] = _mm512_dpbf16_ps(acc[r][0], av, b0);
                acc[r][1] = _mm512_dpbf16_ps(acc[r][1], av, b1);
            }
        }
    }
    for (int r = 0; r < rows; r++)
        for (int h = 0; h < 2; h++) {
            long valid = cols - 16 * h;
            if (valid <= 0) break;
            __mmask16 mask = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
            float *dst = c + r * ldc + 16 * h;
            __m512 sum = accumulate ? _mm512_add_ps(acc[r][h], _mm512_maskz_loadu_ps(mask, dst)) : acc[r][h];
            _mm512_mask_storeu_ps(dst, mask, sum);
        }
}

BF16 void afina_bf16_gemm(const unsigned short *a, long k, const unsigned short *packed, long m, float *c, long ldc,
                          int accumulate, long row0, long row1) {
    long kq = pairs(k), stride = afina_bf16_row_width(k) / 2, panels = (m + 31) / 32;
    for (long i0 = row0; i0 < row1; i0 += 96) {  // a block of A rows stays in L2 across panels
        long i1 = i0 + 96 < row1 ? i0 + 96 : row1;
        for (long p = 0; p < panels; p++) {
            long cols = m - p * 32 < 32 ? m - p * 32 : 32;
            for (long i = i0; i < i1; i += 8) {
                long rows = i1 - i < 8 ? i1 - i : 8;
                tile(a + i * 2 * stride, kq, stride, packed + p * stride * 64, rows, cols, c + i * ldc + p * 32, ldc, accumulate);
            }
        }
    }
}
