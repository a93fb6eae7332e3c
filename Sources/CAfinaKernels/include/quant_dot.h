// Tiny C kernels where Swift could not match: Swift's SIMD integer-to-float conversions
// compile to out-of-line generic calls (measured with perf on the decode path), so the fused
// dequantize-and-dot of a quantized weight row with float activations lives here.
#pragma once
#include <stdint.h>

/// Sum over `blocks` Q4_0 blocks (f16 d, 16 bytes of nibbles; w = d * (q - 8)) of w[i] * x[i].
float afina_dot_q4_0(const void *w, const float *x, int blocks);
/// Sum over `blocks` Q5_0 blocks (f16 d, 32 fifth bits, 16 bytes of nibbles; w = d * (q - 16)).
float afina_dot_q5_0(const void *w, const float *x, int blocks);
/// Sum over `blocks` Q4_1 blocks (f16 d, f16 m, 16 bytes of nibbles) of w[i] * x[i].
float afina_dot_q4_1(const void *w, const float *x, int blocks);
/// Sum over `blocks` Q8_0 blocks (f16 d, 32 int8) of w[i] * x[i].
float afina_dot_q8_0(const void *w, const float *x, int blocks);
/// Fused dots of one row of k-quant super-blocks (256 values each; Q4_K 144 bytes, Q5_K 176,
/// Q6_K 210) with `rows` (1-4) rows of float32 activations `ldx` apart:
/// out[r * ldout] = sum over the row of w[i] * x[r * ldx + i]. Each row's result does not
/// depend on `rows`. Q4_K and Q5_K also take each activation row's 32-value sums
/// (afina_sub_block_sums; row r's at sums + r * ldx / 32), which meet the sub-block mins.
void afina_dot_q4_k(const void *w, const float *x, long ldx, const float *sums, int rows, float *out, long ldout,
                    int blocks);
void afina_dot_q5_k(const void *w, const float *x, long ldx, const float *sums, int rows, float *out, long ldout,
                    int blocks);
void afina_dot_q6_k(const void *w, const float *x, long ldx, int rows, float *out, long ldout, int blocks);

/// The same three on AVX-512 (avx512f, avx512bw): call only where the CPU has them.
void afina_dot_q4_k_512(const void *w, const float *x, long ldx, const float *sums, int rows, float *out, long ldout,
                        int blocks);
void afina_dot_q5_k_512(const void *w, const float *x, long ldx, const float *sums, int rows, float *out, long ldout,
                        int blocks);
void afina_dot_q6_k_512(const void *w, const float *x, long ldx, int rows, float *out, long ldout, int blocks);
/// Q4_1 rows on AVX-512, with each x row's 32-value sums (as afina_dot_q4_k_512).
void afina_dot_q4_1_512(const void *w, const float *x, long ldx, const float *sums, int rows, float *out, long ldout,
                        int blocks);
/// Activations for the int16 forms below: each block of `block` values of x (count a
/// multiple of it) as int16 q = round(x * 32767 / amax), ties to even, with its scale
/// amax / 32767 in scales[block index]. AVX-512 (f, bw), as are the forms below.
void afina_quantize_i16(const float *x, long count, int block, int16_t *q, float *scales);
/// Q8_0 and Q5_0 dots with activations rounded per 32 values.
float afina_dot_q8_0_i16(const void *w, const int16_t *xq, const float *xd, int blocks);
float afina_dot_q5_0_i16(const void *w, const int16_t *xq, const float *xd, int blocks);
/// Q4_K, Q5_K and Q6_K dots as the float forms above with activations rounded per 256 values
/// (row r's at xq + r * ldx, scales at xd + r * ldx / 256); the mins still meet the float sums.
void afina_dot_q4_k_i16(const void *w, const int16_t *xq, const float *xd, long ldx, const float *sums, int rows,
                        float *out, long ldout, int blocks);
void afina_dot_q5_k_i16(const void *w, const int16_t *xq, const float *xd, long ldx, const float *sums, int rows,
                        float *out, long ldout, int blocks);
void afina_dot_q6_k_i16(const void *w, const int16_t *xq, const float *xd, long ldx, int rows, float *out, long ldout,
                        int blocks);
/// sums[j] = the sum of x[32 j ..< 32 j + 32] for j < count / 32: computed once per product, since
/// every weight row of Q4_K/Q5_K multiplies them by its mins.
void afina_sub_block_sums(const float *x, long count, float *sums);
