// AdamW's elementwise update in 8-float AVX2 lanes. Swift left the loop scalar (a square root
// and two divisions per element, 7% of a full fine-tuning step). Every operation is the
// Swift loop's, in its order and unfused, so each element gets the same bits.
#include "adamw.h"
#include <immintrin.h>

#pragma clang fp contract(off)

void afina_adamw(float *p, const float *g, float *m, float *v, long n, const struct afina_adamw_scalars *s) {
    const __m256 decay = _mm256_set1_ps(s->decay), b1 = _mm256_set1_ps(s->one_minus_beta1);
    const __m256 b2 = _mm256_set1_ps(s->beta2), ob2 = _mm256_set1_ps(s->one_minus_beta2);
    const __m256 root = _mm256_set1_ps(s->correction2_root), eps = _mm256_set1_ps(s->eps);
    const __m256 step = _mm256_set1_ps(-s->step_size);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_loadu_ps(g + i), mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), decay);
        mi = _mm256_add_ps(mi, _mm256_mul_ps(b1, _mm256_sub_ps(gi, mi)));
        vi = _mm256_add_ps(_mm256_mul_ps(vi, b2), _mm256_mul_ps(_mm256_mul_ps(ob2, gi), gi));
        __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), root), eps);
        pi = _mm256_add_ps(pi, _mm256_mul_ps(step, _mm256_div_ps(mi, denom)));
        _mm256_storeu_ps(p + i, pi);
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
    }
    for (; i < n; i++) {
        p[i] *= s->decay;
        m[i] += s->one_minus_beta1 * (g[i] - m[i]);
        v[i] = v[i] * s->beta2 + s->one_minus_beta2 * g[i] * g[i];
        float denom = __builtin_sqrtf(v[i]) / s->correction2_root + s->eps;
        p[i] += -s->step_size * (m[i] / denom);
    }
}
