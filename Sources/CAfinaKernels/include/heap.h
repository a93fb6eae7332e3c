// Heap settings for training. Each step frees and reallocates the same large tensors; glibc
// would return them to the kernel, and every fresh page would then fault and be zeroed again
// (measured: about 9% of a LoRA step). This keeps freed memory in the process heap.
#pragma once

/// Raises glibc's mmap and trim thresholds (no effect on other C libraries).
void afina_keep_freed_memory(void);
