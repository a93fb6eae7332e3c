// What this CPU and its OS let Afina run, so kernels are chosen at run time: the package
// is compiled for an AVX2 + FMA baseline, and faster paths are taken where present.
#pragma once

enum {
    AFINA_CPU_AVX2 = 1 << 0,
    AFINA_CPU_FMA = 1 << 1,
    AFINA_CPU_AVX512F = 1 << 2,
    AFINA_CPU_AVX512BW = 1 << 3,
    AFINA_CPU_AVX512VNNI = 1 << 4,
    AFINA_CPU_AVX512BF16 = 1 << 5,
    /// AMX tiles with bf16 and int8 products, and the OS's permission to use them.
    AFINA_CPU_AMX_BF16 = 1 << 6,
    AFINA_CPU_AMX_INT8 = 1 << 7,
};

/// The AFINA_CPU_* bits this CPU has. AMX bits are set only once the kernel has granted
/// this process the tile data state (Linux arch_prctl ARCH_REQ_XCOMP_PERM), which this
/// call requests: a tile instruction run before that request is SIGILL. Call it once.
int afina_cpu_features(void);
