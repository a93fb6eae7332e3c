// Vectorized exponentials for the CPU backend's softmax, cross-entropy, SwiGLU and GELU. An exp
// needs float->int exponent arithmetic, which Swift's SIMD types compile to out-of-line
// generic calls (see quant_dot.h), and scalar expf made these ops a third of a training step.
#pragma once

/// x[i] = exp(x[i] - shift) for i < n; returns the sum of the results.
float afina_exp_shifted(float *x, long n, float shift);
/// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)).
void afina_swiglu(const float *gate, const float *up, float *out, long n);
/// Gradients of afina_swiglu: dgate = dy * up * s * (1 + g (1 - s)), dup = dy * g * s, s = sigmoid(g).
void afina_swiglu_backward(const float *dy, const float *gate, const float *up, float *dgate, float *dup, long n);
/// out[i] = gelu(x[i]): x Phi(x) (erf form, Phi by Abramowitz-Stegun 7.1.26) or, with
/// `tanh_form`, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
void afina_gelu(const float *x, float *out, long n, int tanh_form);
/// dx[i] = dy[i] * gelu'(x[i]) in the same form.
void afina_gelu_backward(const float *dy, const float *x, float *dx, long n, int tanh_form);
