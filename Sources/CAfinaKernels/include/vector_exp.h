// Vectorized exponentials for the CPU backend's softmax, cross-entropy and SwiGLU. An exp
// needs float->int exponent arithmetic, which Swift's SIMD types compile to out-of-line
// generic calls (see quant_dot.h), and scalar expf made these ops a third of a training step.
#pragma once

/// x[i] = exp(x[i] - shift) for i < n; returns the sum of the results.
float afina_exp_shifted(float *x, long n, float shift);
/// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)).
void afina_swiglu(const float *gate, const float *up, float *out, long n);
/// Gradients of afina_swiglu: dgate = dy * up * s * (1 + g (1 - s)), dup = dy * g * s, s = sigmoid(g).
void afina_swiglu_backward(const float *dy, const float *gate, const float *up, float *dgate, float *dup, long n);
