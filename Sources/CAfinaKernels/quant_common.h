// Helpers shared by the fused quantized dot kernels (quant_dot.c, kquant_dot.c).
#pragma once
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/// The float16 at p (block scales), as a float.
static inline float half_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/// The sum of the 8 lanes.
static inline float sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
