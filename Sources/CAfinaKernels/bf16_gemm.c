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

// Sixteen k-pairs as 32-bit words: the low half from `lo`, the high half from `hi` (both
// converted in one instruction, then interleaved).
BF16 static inline __m512i pair_words(__m512 lo, __m512 hi) {
    const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    return _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

// w[i] becomes column i of the 16 x 16 block of 32-bit words whose rows were w[0..15]: the
// packings below turn rows of k-pairs into columns in registers (16-lane scatters, one word
// per lane, had the packing at 6% of a full bf16 step).
BF16 static void transpose16(__m512i w[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(w[i], w[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(w[i], w[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        u[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        u[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        u[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        u[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_i32x4(u[i], u[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_i32x4(u[i], u[i + 4], 0xDD);
        t[i + 8] = _mm512_shuffle_i32x4(u[i + 8], u[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_i32x4(u[i + 8], u[i + 12], 0xDD);
    }
    for (int i = 0; i < 8; i++) {
        w[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
        w[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xDD);
    }
}

BF16 void afina_bf16_pack_b(const float *b, long ldb, int transposed, long k, long m, unsigned short *out,
                            long panel0, long panel1) {
    long kq = afina_bf16_row_width(k) / 2;
    for (long p = panel0; p < panel1; p++) {
        unsigned short *panel = out + p * kq * 64;
        long cols = m - p * 32 < 32 ? m - p * 32 : 32;
        if (transposed) {
            // Column j of B is row j of the given matrix: 32 of its floats are 16 k-pairs, one
            // word each for 16 successive 128-byte pair rows of the panel. Blocks of 16 columns
            // by 16 k-pairs are transposed in registers.
            for (long r0 = 0; r0 < 2 * kq; r0 += 32)
                for (long h = 0; h < 32; h += 16) {
                    __m512i words[16];
                    for (long j = 0; j < 16; j++) {
                        const float *row = b + (p * 32 + h + j) * ldb + r0;
                        long valid = h + j < cols ? k - r0 : 0;
                        __m512 x0 = _mm512_maskz_loadu_ps(first(valid), row);
                        __m512 x1 = _mm512_maskz_loadu_ps(first(valid - 16), row + 16);
                        words[j] = (__m512i)_mm512_cvtne2ps_pbh(x1, x0);
                    }
                    transpose16(words);
                    for (long q = 0; q < 16; q++) _mm512_storeu_si512(panel + (r0 / 2 + q) * 64 + h * 2, words[q]);
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
    // 16 rows of the result by 16 k-pairs at a time: source rows p and p + 1 give a k-pair
    // for each of the 16 result rows, one word each; the block is transposed in registers.
    for (long i0 = row0; i0 < row1; i0 += 16) {
        __mmask16 mask = first(row1 - i0);
        for (long p0 = 0; p0 < width; p0 += 32) {
            __m512i words[16];
            for (long q = 0; q < 16; q++) {
                long p = p0 + 2 * q;
                __m512 lo = p < k ? _mm512_maskz_loadu_ps(mask, a + p * lda + i0) : _mm512_setzero_ps();
                __m512 hi = p + 1 < k ? _mm512_maskz_loadu_ps(mask, a + (p + 1) * lda + i0) : _mm512_setzero_ps();
                words[q] = pair_words(_mm512_mul_ps(lo, scale), _mm512_mul_ps(hi, scale));
            }
            transpose16(words);
            for (long i = 0; i < 16 && i0 + i < row1; i++) _mm512_storeu_si512(out + (i0 + i) * width + p0, words[i]);
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
