// exp(x) over AVX2 lanes: x = n ln2 + r with |r| <= ln2/2, exp(r) by Cephes' expf polynomial
// (relative error about 1e-7), 2^n assembled in the exponent bits. Inputs are clamped to
// [-87.3, 88.7], where float32 exp stays normal.
#include "vector_exp.h"
#include <immintrin.h>

static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.7f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

static inline float exp1(float x) {
    float lane[8] = {x};
    _mm256_storeu_ps(lane, exp8(_mm256_loadu_ps(lane)));
    return lane[0];
}

float afina_exp_shifted(float *x, long n, float shift) {
    __m256 s = _mm256_set1_ps(shift), acc = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        _mm256_storeu_ps(x + i, v);
        acc = _mm256_add_ps(acc, v);
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, acc);
    float sum = lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
    for (; i < n; i++) { x[i] = exp1(x[i] - shift); sum += x[i]; }
    return sum;
}

static inline __m256 sigmoid8(__m256 g) {
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), g))));
}

void afina_swiglu(const float *gate, const float *up, float *out, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i);
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(g, sigmoid8(g)), _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) out[i] = gate[i] / (1.0f + exp1(-gate[i])) * up[i];
}

void afina_swiglu_backward(const float *dy, const float *gate, const float *up, float *dgate, float *dup, long n) {
    __m256 one = _mm256_set1_ps(1.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i), d = _mm256_loadu_ps(dy + i);
        __m256 s = sigmoid8(g);
        _mm256_storeu_ps(dup + i, _mm256_mul_ps(d, _mm256_mul_ps(g, s)));
        __m256 slope = _mm256_mul_ps(s, _mm256_fmadd_ps(g, _mm256_sub_ps(one, s), one));
        _mm256_storeu_ps(dgate + i, _mm256_mul_ps(_mm256_mul_ps(d, _mm256_loadu_ps(up + i)), slope));
    }
    for (; i < n; i++) {
        float g = gate[i], s = 1.0f / (1.0f + exp1(-g));
        dup[i] = dy[i] * g * s;
        dgate[i] = dy[i] * up[i] * s * (1.0f + g * (1.0f - s));
    }
}

// GELU, tanh form: 0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3).
static inline __m256 gelu_tanh_2u(__m256 x) {
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(x2, _mm256_set1_ps(0.044715f)), x, x);
    return _mm256_mul_ps(inner, _mm256_set1_ps(2 * 0.79788456080286536f));
}

// GELU, erf form: Phi(x) = 0.5 (1 + erf(x / sqrt 2)), erf by Abramowitz and Stegun 7.1.26
// (absolute error below 1.5e-7): erf(z) = 1 - t (a1 + t (a2 + ...)) exp(-z^2), t = 1 / (1 + p z)
// for z >= 0, odd in z. Returns Phi; `gauss` gets exp(-x^2 / 2) for the derivative.
static inline __m256 normal_cdf8(__m256 x, __m256 *gauss) {
    __m256 z = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752f)));
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(z, _mm256_set1_ps(0.3275911f), _mm256_set1_ps(1.0f)));
    __m256 poly = _mm256_set1_ps(1.061405429f);
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-1.453152027f));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(1.421413741f));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-0.284496736f));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(0.254829592f));
    *gauss = exp8(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(z, z)));
    __m256 erfAbs = _mm256_fnmadd_ps(_mm256_mul_ps(poly, t), *gauss, _mm256_set1_ps(1.0f));
    __m256 erf = _mm256_or_ps(erfAbs, _mm256_and_ps(x, _mm256_set1_ps(-0.0f)));  // sign of x
    return _mm256_mul_ps(_mm256_set1_ps(0.5f), _mm256_add_ps(_mm256_set1_ps(1.0f), erf));
}

static inline __m256 gelu8(__m256 x, int tanh_form) {
    if (tanh_form) return _mm256_mul_ps(x, sigmoid8(gelu_tanh_2u(x)));
    __m256 gauss;
    return _mm256_mul_ps(x, normal_cdf8(x, &gauss));
}

static inline __m256 gelu_slope8(__m256 x, int tanh_form) {
    __m256 one = _mm256_set1_ps(1.0f);
    if (tanh_form) {
        // d/dx x s(2u) = s + 2 x s (1 - s) u'(x), u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
        __m256 s = sigmoid8(gelu_tanh_2u(x));
        __m256 du = _mm256_mul_ps(_mm256_fmadd_ps(_mm256_mul_ps(x, x), _mm256_set1_ps(3 * 0.044715f), one),
                                  _mm256_set1_ps(2 * 0.79788456080286536f));
        return _mm256_fmadd_ps(_mm256_mul_ps(_mm256_mul_ps(x, s), _mm256_sub_ps(one, s)), du, s);
    }
    // Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
    __m256 gauss;
    __m256 cdf = normal_cdf8(x, &gauss);
    return _mm256_fmadd_ps(_mm256_mul_ps(x, gauss), _mm256_set1_ps(0.39894228040143268f), cdf);
}

// Tails (n % 8) go through the same lanes, so every element is computed one way.
static inline __m256 load_tail(const float *p, long n) {
    float lane[8] = {0};
    for (long i = 0; i < n; i++) lane[i] = p[i];
    return _mm256_loadu_ps(lane);
}

static inline void store_tail(float *p, __m256 v, long n) {
    float lane[8];
    _mm256_storeu_ps(lane, v);
    for (long i = 0; i < n; i++) p[i] = lane[i];
}

void afina_gelu(const float *x, float *out, long n, int tanh_form) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, gelu8(_mm256_loadu_ps(x + i), tanh_form));
    if (i < n) store_tail(out + i, gelu8(load_tail(x + i, n - i), tanh_form), n - i);
}

void afina_gelu_backward(const float *dy, const float *x, float *dx, long n, int tanh_form) {
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(dy + i), gelu_slope8(_mm256_loadu_ps(x + i), tanh_form)));
    if (i < n)
        store_tail(dx + i, _mm256_mul_ps(load_tail(dy + i, n - i), gelu_slope8(load_tail(x + i, n - i), tanh_form)), n - i);
}
