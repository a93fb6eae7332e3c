// AdamW's update of one slice of a parameter (see HostBackend+Training.swift for the rule).
#pragma once

/// The float32 scalars of one step, rounded where PyTorch's kernels receive them.
struct afina_adamw_scalars {
    float decay, one_minus_beta1, beta2, one_minus_beta2, correction2_root, eps, step_size;
};

/// p, m, v (n floats each) updated in place from the gradient g.
void afina_adamw(float *p, const float *g, float *m, float *v, long n, const struct afina_adamw_scalars *s);
