#include "cpu_features.h"
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

// CPUID leaf 7 (EDX): AMX-BF16 is bit 22, AMX-TILE bit 24, AMX-INT8 bit 25.
static int amx_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24))) return 0;
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0) return 0;
    return ((d & (1u << 22)) ? AFINA_CPU_AMX_BF16 : 0) | ((d & (1u << 25)) ? AFINA_CPU_AMX_INT8 : 0);
}

int afina_cpu_features(void) {
    __builtin_cpu_init();
    int f = 0;
    if (__builtin_cpu_supports("avx2")) f |= AFINA_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) f |= AFINA_CPU_FMA;
    if (__builtin_cpu_supports("avx512f")) f |= AFINA_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bw")) f |= AFINA_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512vnni")) f |= AFINA_CPU_AVX512VNNI;
    if (__builtin_cpu_supports("avx512bf16")) f |= AFINA_CPU_AVX512BF16;
    return f | amx_features();
}
