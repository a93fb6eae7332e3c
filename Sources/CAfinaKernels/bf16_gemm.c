// bfloat16 products in outer-product form: an 8 x 32 tile of C lives in 16 zmm accumulators;
// each k-pair of A is broadcast and multiplied into two 16-lane vectors of B's k-pairs
// (vdpbf16ps), so no horizontal reductions are needed. B is packed once per product into
// 32-column panels ([k/2][32][2]); A is converted to bfloat16 rows (round to nearest even).
#include "bf16_gemm.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define BF16 __attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl")))

// Round to nearest even; NaN is not preserved (a NaN loss stops training anyway).
static inline unsigned short to_bf16(float x) {
    uint32_t b;
    memcpy(&b, &x, 4);
    return (unsigned short)((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

static long pairs(long k) { return (k + 1) / 2; }

long afina_bf16_row_width(long k) { return (k + 31) / 32 * 32; }

long afina_bf16_packed_size(long k, long m) { return ((m + 31) / 32) * afina_bf16_row_width(k) * 32; }

void afina_bf16_pack_b(const float *b, long ldb, int transposed, long k, long m, unsigned short *out,
                       long panel0, long panel1) {
    long kq = afina_bf16_row_width(k) / 2;
    for (long p = panel0; p < panel1; p++) {
        unsigned short *panel = out + p * kq * 64;
        long cols = m - p * 32 < 32 ? m - p * 32 : 32;
        if (cols < 32 || 2 * kq > k) memset(panel, 0, (size_t)kq * 64 * sizeof(unsigned short));
        if (transposed) {
            // Column j of B is row j of the given matrix, k contiguous floats; 16 of them at a
            // time go to 8 k-pairs, so reads and writes both stay within a few cache lines.
            for (long r0 = 0; r0 < k; r0 += 16) {
                long r1 = r0 + 16 < k ? r0 + 16 : k;
                for (long j = 0; j < cols; j++) {
                    const float *row = b + (p * 32 + j) * ldb;
                    for (long r = r0; r < r1; r++) panel[(r / 2) * 64 + j * 2 + (r & 1)] = to_bf16(row[r]);
                }
            }
        } else {
            for (long r = 0; r < k; r++) {
                const float *row = b + r * ldb + p * 32;
                unsigned short *dst = panel + (r / 2) * 64 + (r & 1);
                for (long j = 0; j < cols; j++) dst[j * 2] = to_bf16(row[j]);
            }
        }
    }
}

void afina_bf16_convert_a(const float *a, long lda, long k, unsigned short *out, long row0, long row1) {
    long width = afina_bf16_row_width(k);
    for (long i = row0; i < row1; i++) {
        unsigned short *dst = out + i * width;
        const float *src = a + i * lda;
        for (long p = 0; p < k; p++) dst[p] = to_bf16(src[p]);
        memset(dst + k, 0, (size_t)(width - k) * sizeof(unsigned short));
    }
}

void afina_bf16_convert_at(const float *a, long lda, long k, float alpha, unsigned short *out, long row0, long row1) {
    long width = afina_bf16_row_width(k);
    // 16 rows of the result at a time: each source row gives 16 contiguous floats.
    for (long i0 = row0; i0 < row1; i0 += 16) {
        long i1 = i0 + 16 < row1 ? i0 + 16 : row1;
        for (long p = 0; p < k; p++) {
            const float *src = a + p * lda;
            for (long i = i0; i < i1; i++) out[i * width + p] = to_bf16(alpha * src[i]);
        }
        for (long i = i0; i < i1; i++) memset(out + i * width + k, 0, (size_t)(width - k) * sizeof(unsigned short));
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
