// A hint for WorkerPool's spin-waits. Where the two vCPUs are hyperthreads of one core (the
// Intel machine of MACHINE-NOTES.md), a bare spinning loop takes issue slots from the thread
// doing the work; PAUSE hands them back and costs the waiter only a few tens of nanoseconds.
#pragma once
#include <immintrin.h>

static inline void afina_spin_pause(void) { _mm_pause(); }
