// Thin shim: Debian's zlib (zlib1g-dev), for inflating wheel (zip) members.
#include <zlib.h>
