#include "peak.h"
#include "cpu_features.h"
#include <immintrin.h>

// 12 independent accumulators: enough to cover an FMA latency of 4 cycles on 2 ports (and
// more), so the loop runs at the units' throughput. The results are summed and returned
// through a volatile store so the compiler keeps every operation.
#define CHAINS 12

__attribute__((target("avx512f"))) static double fp32_512(long iterations) {
    __m512 acc[CHAINS];
    for (int j = 0; j < CHAINS; j++) acc[j] = _mm512_set1_ps((float)j);
    const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-3f);
    for (long i = 0; i < iterations; i++)
        for (int j = 0; j < CHAINS; j++) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
    __m512 sum = acc[0];
    for (int j = 1; j < CHAINS; j++) sum = _mm512_add_ps(sum, acc[j]);
    volatile float sink = _mm512_reduce_add_ps(sum);
    (void)sink;
    return (double)iterations * CHAINS * 16 * 2;
}

static double fp32_256(long iterations) {
    __m256 acc[CHAINS];
    for (int j = 0; j < CHAINS; j++) acc[j] = _mm256_set1_ps((float)j);
    const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-3f);
    for (long i = 0; i < iterations; i++)
        for (int j = 0; j < CHAINS; j++) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
    float lanes[8];
    __m256 sum = acc[0];
    for (int j = 1; j < CHAINS; j++) sum = _mm256_add_ps(sum, acc[j]);
    _mm256_storeu_ps(lanes, sum);
    volatile float sink = lanes[0];
    (void)sink;
    return (double)iterations * CHAINS * 8 * 2;
}

double afina_peak_fp32(long iterations) {
    return (afina_cpu_features() & AFINA_CPU_AVX512F) ? fp32_512(iterations) : fp32_256(iterations);
}

__attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl"))) static double bf16_512(long iterations) {
    __m512 acc[CHAINS];
    for (int j = 0; j < CHAINS; j++) acc[j] = _mm512_setzero_ps();
    const __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3a83);  // 1, ~1e-3
    for (long i = 0; i < iterations; i++)
        for (int j = 0; j < CHAINS; j++) acc[j] = _mm512_dpbf16_ps(acc[j], a, b);
    __m512 sum = acc[0];
    for (int j = 1; j < CHAINS; j++) sum = _mm512_add_ps(sum, acc[j]);
    volatile float sink = _mm512_reduce_add_ps(sum);
    (void)sink;
    return (double)iterations * CHAINS * 16 * 4;
}

double afina_peak_bf16(long iterations) {
    return (afina_cpu_features() & AFINA_CPU_AVX512BF16) ? bf16_512(iterations) : 0;
}
