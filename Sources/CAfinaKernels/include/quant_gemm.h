// Prefill products of quantized weights with int16 activations (AVX-512 VNNI), many tokens at
// once: quant_gemm_int16.c.
#pragma once
#include <stdint.h>

/// Bytes of x's n rows ([n, k], k a multiple of 256) packed for afina_gemm_q4_k_i16.
long afina_i16_packed_size(long n, long k);

/// Rounds rows row0..<row1 of x to int16 per 64 values (afina_quantize_i16) and packs them,
/// with each block's scale and the float 32-value sums of x, into `packed`
/// (afina_i16_packed_size bytes, zeroed first: tokens past n up to a multiple of 32 stay zero).
void afina_pack_activations_i16(const float *x, long k, void *packed, long row0, long row1);

/// out[t * ldout + j] = row j of the Q4_K (Q6_K) weight, rows `rowBytes` apart from w, times
/// token t's packed activations, for j in row0..<row1 and t < n.
void afina_gemm_q4_k_i16(const void *w, long rowBytes, long row0, long row1, long k, const void *packed, long n,
                         float *out, long ldout);
void afina_gemm_q6_k_i16(const void *w, long rowBytes, long row0, long row1, long k, const void *packed, long n,
                         float *out, long ldout);
