// bfloat16 products on AMX tiles (Intel Sapphire Rapids and later). The operands are the
// ones afina_bf16_gemm takes: A rows of bfloat16 padded to 32 values, B packed into 32-column
// panels of k-pairs. Half a panel over 16 k-pairs, rows 128 bytes apart, is exactly a TMUL B
// tile (16 rows of 16 column pairs), so nothing is repacked. Each 32 x 32 block of C lives
// in four 16 x 16 float tiles: per 16 k-pairs two A tiles and two B tiles feed four
// tdpbf16ps. Rows left over from whole 32-row blocks go to the AVX-512 BF16 kernel.
#include "bf16_gemm.h"
#include "cpu_features.h"
#include "peak.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16,avx512bw,avx512vl")))

// Palette 1: tiles 0-3 hold C, 4-5 A, 6-7 B; all 16 rows of 64 bytes.
struct tile_config {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} __attribute__((aligned(64)));

AMX static void configure(void) {
    struct tile_config config;
    memset(&config, 0, sizeof config);
    config.palette = 1;
    for (int t = 0; t < 8; t++) {
        config.rows[t] = 16;
        config.colsb[t] = 64;
    }
    _tile_loadconfig(&config);
}

// Tiles 0-3 to C[32 x cols] (cols < 32 or with `accumulate`: through a buffer, masked).
AMX static void store_block(float *c, long ldc, long cols, int accumulate) {
    float buffer[4][16][16];
    _tile_stored(0, buffer[0], 64);
    _tile_stored(1, buffer[1], 64);
    _tile_stored(2, buffer[2], 64);
    _tile_stored(3, buffer[3], 64);
    for (int t = 0; t < 4; t++) {
        long valid = cols - 16 * (t & 1);
        if (valid <= 0) continue;
        __mmask16 mask = valid >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid) - 1);
        for (int r = 0; r < 16; r++) {
            float *dst = c + (16 * (t >> 1) + r) * ldc + 16 * (t & 1);
            __m512 sum = _mm512_loadu_ps(buffer[t][r]);
            if (accumulate) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(mask, dst));
            _mm512_mask_storeu_ps(dst, mask, sum);
        }
    }
}

// C[32 x cols] (=, or += with `accumulate`) A[32 rows, `width` bf16 apart] · one B panel.
AMX static void block(const unsigned short *a, long width, const unsigned short *panel, long kq, float *c, long ldc,
                      long cols, int accumulate) {
    long stride = width * 2;
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (long q = 0; q < kq; q += 16) {
        _tile_loadd(4, a + 2 * q, stride);
        _tile_loadd(5, a + 16 * width + 2 * q, stride);
        _tile_loadd(6, panel + q * 64, 128);
        _tile_loadd(7, panel + q * 64 + 32, 128);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    if (cols == 32 && !accumulate) {
        _tile_stored(0, c, ldc * 4);
        _tile_stored(1, c + 16, ldc * 4);
        _tile_stored(2, c + 16 * ldc, ldc * 4);
        _tile_stored(3, c + 16 * ldc + 16, ldc * 4);
    } else {
        store_block(c, ldc, cols, accumulate);
    }
}

AMX void afina_amx_bf16_gemm(const unsigned short *a, long k, const unsigned short *packed, long m, float *c, long ldc,
                             int accumulate, long row0, long row1) {
    long width = afina_bf16_row_width(k), kq = width / 2, panels = (m + 31) / 32;
    long whole = row0 + (row1 - row0) / 32 * 32;
    if (whole > row0) {
        configure();
        for (long i0 = row0; i0 < whole; i0 += 128) {  // a block of A rows stays in L2 across panels
            long i1 = i0 + 128 < whole ? i0 + 128 : whole;
            for (long p = 0; p < panels; p++) {
                long cols = m - p * 32 < 32 ? m - p * 32 : 32;
                for (long i = i0; i < i1; i += 32)
                    block(a + i * width, width, packed + p * kq * 64, kq, c + i * ldc + p * 32, ldc, cols, accumulate);
            }
        }
        _tile_release();
    }
    if (whole < row1) afina_bf16_gemm(a, k, packed, m, c, ldc, accumulate, whole, row1);
}

// The tile unit's peak: four independent accumulations from tiles already loaded (no memory
// traffic), each tdpbf16ps 16 x 16 x 32 multiply-adds.
AMX double afina_peak_amx_bf16(long iterations) {
    if ((afina_cpu_features() & AFINA_CPU_AMX_BF16) == 0) return 0;
    static const unsigned short ones[16 * 32] = {0};
    configure();
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    _tile_loadd(4, ones, 64);
    _tile_loadd(5, ones, 64);
    _tile_loadd(6, ones, 64);
    _tile_loadd(7, ones, 64);
    for (long i = 0; i < iterations; i++) {
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 4, 7);
        _tile_dpbf16ps(2, 5, 6);
        _tile_dpbf16ps(3, 5, 7);
    }
    _tile_release();
    return (double)iterations * 4 * 16 * 16 * 32 * 2;
}
