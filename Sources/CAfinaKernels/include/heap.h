// Heap settings. Each step frees and reallocates the same large tensors; glibc would return
// them to the kernel, and every fresh page would then fault and be zeroed again (measured:
// about 9% of a LoRA step). Outside training, freed memory stays in the process heap; while
// training, the block pool keeps large blocks instead (AfinaTensor's HostBlockPool).
#pragma once
#include <stddef.h>

/// Raises glibc's mmap and trim thresholds (no effect on other C libraries).
void afina_keep_freed_memory(void);

/// Blocks of at least `bytes` get their own mappings, so freeing one returns it to the kernel
/// at once instead of leaving a hole in the heap (glibc only).
void afina_map_blocks_from(size_t bytes);
