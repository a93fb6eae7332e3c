// Products in outer-product form: a tile of R rows x V 16-lane vectors of C lives in registers
// (about 24 accumulators) while the depth is walked once; per step of depth, V vectors of
// a row of B are loaded and R values of A broadcast into them. Nothing is packed: B's rows are
// read in place (at rank 16 a row of B is one vector; a weight's rows are 48 columns at a
// time, prefetched a few rows ahead, since in training each weight comes cold from memory).
#include "tile_gemm.h"
#include <immintrin.h>

#define AVX512F __attribute__((target("avx512f")))
// Rows of B fetched ahead: without it, LoRA fp32 on the Zen 5 EPYC ran 4-8% slower with dy·W
// here than on OpenBLAS (its packing reads W in order, which the hardware prefetches). A
// prefetch past the end of B is harmless: it never faults.
#define AHEAD 8

AVX512F static inline __mmask16 lanes(long count) {
    return count >= 16 ? (__mmask16)0xFFFF : count <= 0 ? 0 : (__mmask16)((1u << count) - 1);
}

// One R x (16 V) tile of C at rows [i, i + R), columns [j, j + cols), cols <= 16 V.
#define TILE(R, V)                                                                                                  \
    AVX512F static void tile_##R##x##V(const float *a, long a_row, long a_depth, const float *b, long ldb,          \
                                      long depth, float *c, long ldc, float alpha, int accumulate, long cols) {     \
        __mmask16 mask[V];                                                                                          \
        __m512 acc[R][V];                                                                                           \
        for (int v = 0; v < V; v++) mask[v] = lanes(cols - 16 * v);                                                 \
        for (int r = 0; r < R; r++)                                                                                 \
            for (int v = 0; v < V; v++) acc[r][v] = _mm512_setzero_ps();                                            \
        for (long p = 0; p < depth; p++) {                                                                          \
            __m512 row[V];                                                                                          \
            for (int v = 0; v < V; v++) row[v] = _mm512_maskz_loadu_ps(mask[v], b + p * ldb + 16 * v);             \
            for (int v = 0; v < V; v++) _mm_prefetch((const char *)(b + (p + AHEAD) * ldb + 16 * v), _MM_HINT_T0);  \
            const float *ap = a + p * a_depth;                                                                      \
            for (int r = 0; r < R; r++) {                                                                           \
                __m512 x = _mm512_set1_ps(ap[r * a_row]);                                                           \
                for (int v = 0; v < V; v++) acc[r][v] = _mm512_fmadd_ps(x, row[v], acc[r][v]);                      \
            }                                                                                                       \
        }                                                                                                           \
        __m512 scale = _mm512_set1_ps(alpha);                                                                       \
        for (int r = 0; r < R; r++)                                                                                 \
            for (int v = 0; v < V; v++) {                                                                           \
                float *dst = c + r * ldc + 16 * v;                                                                  \
                __m512 sum = _mm512_mul_ps(acc[r][v], scale);                                                       \
                if (accumulate) sum = _mm512_add_ps(_mm512_maskz_loadu_ps(mask[v], dst), sum);                      \
                _mm512_mask_storeu_ps(dst, mask[v], sum);                                                           \
            }                                                                                                       \
    }

TILE(24, 1)
TILE(12, 2)
TILE(8, 3)
TILE(8, 2)
TILE(8, 1)
TILE(1, 3)
TILE(1, 2)
TILE(1, 1)

typedef void (*tile_fn)(const float *, long, long, const float *, long, long, float *, long, float, int, long);

void afina_tile_gemm(const float *a, long a_row, long a_depth, const float *b, long ldb, long depth, float *c,
                     long ldc, float alpha, int accumulate, long row0, long row1, long col0, long col1) {
    // Tiles by the width left: 8 x 48, 12 x 32 or 24 x 16, then 8 rows and single rows.
    static const tile_fn wide[3] = {tile_24x1, tile_12x2, tile_8x3}, eight[3] = {tile_8x1, tile_8x2, tile_8x3},
                         single[3] = {tile_1x1, tile_1x2, tile_1x3};
    static const long tall[3] = {24, 12, 8};
    for (long j = col0; j < col1; j += 48) {
        long cols = col1 - j < 48 ? col1 - j : 48, v = (cols + 15) / 16 - 1;
        long i = row0;
        for (; i + tall[v] <= row1; i += tall[v])
            wide[v](a + i * a_row, a_row, a_depth, b + j, ldb, depth, c + i * ldc + j, ldc, alpha, accumulate, cols);
        for (; i + 8 <= row1; i += 8)
            eight[v](a + i * a_row, a_row, a_depth, b + j, ldb, depth, c + i * ldc + j, ldc, alpha, accumulate, cols);
        for (; i < row1; i++)
            single[v](a + i * a_row, a_row, a_depth, b + j, ldb, depth, c + i * ldc + j, ldc, alpha, accumulate, cols);
    }
}

// Dot form, for x·Wᵀ with W as stored ([out, in], rows along the depth): a tile of R rows of
// x by C rows of W keeps R x C 16-lane partial sums, each reduced across its lanes at the end.
// The C rows of W stay in L1 while every row tile of x (from L2) passes over them, so W is
// read once and nothing is packed.
#define DOT_TILE(R, C)                                                                                              \
    AVX512F static void dot_##R##x##C(const float *x, long ldx, const float *w, long ldw, long depth, float *out,  \
                                      long ldo) {                                                                   \
        __m512 acc[R][C];                                                                                           \
        for (int r = 0; r < R; r++)                                                                                 \
            for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();                                            \
        for (long p = 0; p < depth; p += 16) {                                                                      \
            __mmask16 m = lanes(depth - p);                                                                         \
            __m512 wv[C];                                                                                           \
            for (int c = 0; c < C; c++) wv[c] = _mm512_maskz_loadu_ps(m, w + c * ldw + p);                         \
            for (int r = 0; r < R; r++) {                                                                           \
                __m512 xv = _mm512_maskz_loadu_ps(m, x + r * ldx + p);                                             \
                for (int c = 0; c < C; c++) acc[r][c] = _mm512_fmadd_ps(xv, wv[c], acc[r][c]);                      \
            }                                                                                                       \
        }                                                                                                           \
        for (int r = 0; r < R; r++)                                                                                 \
            for (int c = 0; c < C; c++) out[r * ldo + c] = _mm512_reduce_add_ps(acc[r][c]);                         \
    }

DOT_TILE(4, 6)
DOT_TILE(1, 6)
DOT_TILE(4, 1)
DOT_TILE(1, 1)

void afina_dot_gemm(const float *x, long ldx, const float *w, long ldw, long depth, float *out, long ldo, long row0,
                    long row1, long col0, long col1) {
    long j = col0;
    for (; j + 6 <= col1; j += 6) {
        long i = row0;
        for (; i + 4 <= row1; i += 4) dot_4x6(x + i * ldx, ldx, w + j * ldw, ldw, depth, out + i * ldo + j, ldo);
        for (; i < row1; i++) dot_1x6(x + i * ldx, ldx, w + j * ldw, ldw, depth, out + i * ldo + j, ldo);
    }
    for (; j < col1; j++) {
        long i = row0;
        for (; i + 4 <= row1; i += 4) dot_4x1(x + i * ldx, ldx, w + j * ldw, ldw, depth, out + i * ldo + j, ldo);
        for (; i < row1; i++) dot_1x1(x + i * ldx, ldx, w + j * ldw, ldw, depth, out + i * ldo + j, ldo);
    }
}
