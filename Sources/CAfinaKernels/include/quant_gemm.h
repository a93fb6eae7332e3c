// Prefill products of quantized weights with int16 activations (AVX-512 VNNI), many tokens at
// once: quant_gemm_int16.c.
#pragma once
#include <stdint.h>

/// Token columns of the packed activations: n rounded up to a whole tile (32).
long afina_i16_tokens(long n);

/// Rounds rows row0..<row1 of x ([n, k], k a multiple of 256) to int16 per 256 values
/// (afina_quantize_i16) into columns of `tokens` (afina_i16_tokens(n)): words[k/2][tokens] holds
/// pairs of k as 32-bit words, scales[k/256][tokens] each block's scale, sums[k/32][tokens] the
/// float 32-value sums of x. Columns past n should be zero (the caller clears them).
void afina_pack_activations_i16(const float *x, long k, long tokens, uint32_t *words, float *scales, float *sums,
                                long row0, long row1);

/// out[t * ldout + j] = row j of the Q4_K weight (rows `rowBytes` apart from w) times token t's
/// packed activations, for j in row0..<row1 and t < n.
void afina_gemm_q4_k_i16(const void *w, long rowBytes, long row0, long row1, long k, const uint32_t *words,
                         const float *scales, const float *sums, long tokens, long n, float *out, long ldout);
