// Float32 products on AVX-512 register tiles, both operands read in place (nothing packed):
// - LoRA's adapters at rank r, where one side is narrow: x·Aᵀ and dy·B ([n, r] outputs), h·Bᵀ
//   and dh·A (inner depth r), and the gradients dyᵀh [m, r] and dhᵀx [r, k]. OpenBLAS packs the
//   wide operand for a product it does little with (measured on SmolLM2's shapes at r = 16:
//   200-360 GFLOP/s against 500 for square products).
// - Input gradients dy·W of float32 weights W [out, in], which are B here row for row: OpenBLAS
//   packed W for every product (8% of a LoRA fp32 step on the Zen 5 EPYC).
// Callers check for AVX-512F first (afina_cpu_features).
#pragma once

/// C[i, j] = alpha · sum_p A(i, p) B[p, j] (with `accumulate`, C[i, j] += ...) for rows i in
/// [row0, row1) and columns j in [col0, col1), where A(i, p) = a[i * a_row + p * a_depth] (so
/// either A or Aᵀ may be stored row-major) and B is [depth, *] row-major with rows `ldb` apart.
void afina_tile_gemm(const float *a, long a_row, long a_depth, const float *b, long ldb, long depth, float *c,
                     long ldc, float alpha, int accumulate, long row0, long row1, long col0, long col1);

/// out[i, j] = sum_p x[i * ldx + p] · w[j * ldw + p] (x·Wᵀ, W [out, in] as stored) for rows i in
/// [row0, row1) and columns j in [col0, col1), over `depth`.
void afina_dot_gemm(const float *x, long ldx, const float *w, long ldw, long depth, float *out, long ldo, long row0,
                    long row1, long col0, long col1);
