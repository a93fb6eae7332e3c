// Thin shim: Debian's OpenBLAS CBLAS header (libopenblas-dev).
#include <cblas.h>
