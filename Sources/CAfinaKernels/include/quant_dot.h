// Tiny C kernels where Swift could not match: Swift's SIMD integer-to-float conversions
// compile to out-of-line generic calls (measured with perf on the decode path), so the fused
// dequantize-and-dot of a quantized weight row with float activations lives here.
#pragma once

/// Sum over `blocks` Q4_1 blocks (f16 d, f16 m, 16 bytes of nibbles) of w[i] * x[i].
float afina_dot_q4_1(const void *w, const float *x, int blocks);
/// Sum over `blocks` Q8_0 blocks (f16 d, 32 int8) of w[i] * x[i].
float afina_dot_q8_0(const void *w, const float *x, int blocks);
/// Sum over `blocks` Q4_K super-blocks (256 values, 144 bytes each) of w[i] * x[i].
float afina_dot_q4_k(const void *w, const float *x, int blocks);
/// Sum over `blocks` Q5_K super-blocks (256 values, 176 bytes each) of w[i] * x[i].
float afina_dot_q5_k(const void *w, const float *x, int blocks);
/// Sum over `blocks` Q6_K super-blocks (256 values, 210 bytes each) of w[i] * x[i].
float afina_dot_q6_k(const void *w, const float *x, int blocks);
