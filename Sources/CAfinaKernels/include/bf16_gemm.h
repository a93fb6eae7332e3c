// Matrix products with bfloat16 inputs and float32 accumulation (AVX-512 BF16, vdpbf16ps),
// about twice OpenBLAS's float32 sgemm per core on this project's machine (measured: 200 vs
// 76-99 GFLOP/s), and the same operands on AMX tiles where the CPU has them. Debian's
// OpenBLAS is built without its sbgemm. Callers check for AVX-512 BF16 (or AMX) first
// (afina_cpu_features); only these functions are compiled for it.
#pragma once

/// bfloat16 values per converted row of A for a depth k: k rounded up to 32 (zero-padded), so
/// that AMX tiles, which take 32 values of a row at a time, read only zeros past k.
long afina_bf16_row_width(long k);
/// Number of uint16 elements `afina_bf16_pack_b` writes for a [k, m] right-hand side.
long afina_bf16_packed_size(long k, long m);
/// Packs panels [panel0, panel1) of the right-hand side B of C = A B: 32-column panels of
/// k-pairs, afina_bf16_row_width(k) / 2 of them. With `transposed` == 0, B is [k, m] row-major (element (p, j) at b[p * ldb + j]);
/// otherwise B is given as its transpose [m, k] (element (p, j) at b[j * ldb + p]). Pads
/// with zeros.
void afina_bf16_pack_b(const float *b, long ldb, int transposed, long k, long m, unsigned short *out,
                       long panel0, long panel1);
/// Converts rows [row0, row1) of A [n, k] (row-major, rows `lda` floats apart: k, or more for
/// a block of columns) to bfloat16 rows of afina_bf16_row_width(k) values.
void afina_bf16_convert_a(const float *a, long lda, long k, unsigned short *out, long row0, long row1);
/// Rows [row0, row1) of alpha * Aᵀ as bfloat16 rows like afina_bf16_convert_a's, for A [k, *]
/// row-major with row stride `lda` (row i of the result is column i of A).
void afina_bf16_convert_at(const float *a, long lda, long k, float alpha, unsigned short *out, long row0, long row1);
/// C[i, j] = sum_p A[i, p] B[p, j] (with `accumulate`, C[i, j] += ...) for rows i in
/// [row0, row1): A from afina_bf16_convert_a or _at, B from afina_bf16_pack_b.
void afina_bf16_gemm(const unsigned short *a, long k, const unsigned short *packed, long m, float *c, long ldc,
                     int accumulate, long row0, long row1);
/// afina_bf16_gemm on AMX tiles: callers check AFINA_CPU_AMX_BF16 first (afina_cpu_features,
/// which also obtains the OS's permission for the tile state).
void afina_amx_bf16_gemm(const unsigned short *a, long k, const unsigned short *packed, long m, float *c, long ldc,
                         int accumulate, long row0, long row1);
