// The machine's arithmetic peak, measured rather than taken from a data sheet: the fraction
// of it a benchmark reaches says how much is left. Loops of independent multiply-adds on
// registers only (no memory traffic), in the widest form this CPU runs.
#pragma once

/// Runs `iterations` rounds of float32 FMAs (AVX-512 where present, else AVX2); returns the
/// floating-point operations done (a multiply-add counts 2).
double afina_peak_fp32(long iterations);
/// Runs `iterations` rounds of AVX-512 BF16 dot products (vdpbf16ps, 2 products and 2 adds
/// per float32 lane); returns the operations done, or 0 where the CPU lacks AVX-512 BF16.
double afina_peak_bf16(long iterations);
/// Runs `iterations` rounds of four AMX bf16 tile products (tdpbf16ps, 16 x 16 x 32 multiply-adds
/// each) on tiles already loaded; returns the operations done, or 0 without AMX-BF16.
double afina_peak_amx_bf16(long iterations);
