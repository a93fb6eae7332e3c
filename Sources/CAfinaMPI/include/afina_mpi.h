// A thin shim over Open MPI, loaded at run time with dlopen so Afina builds and runs on
// machines without MPI. Only what data-parallel training and sharded generation need.
//
// It is tied to Open MPI's ABI (4.x, libmpi.so.40): there MPI_COMM_WORLD, MPI_FLOAT,
// MPI_SUM... are addresses of exported objects (ompi_mpi_comm_world, ompi_mpi_float,
// ompi_mpi_op_sum) and MPI_IN_PLACE is (void *)1. MPICH-family libraries use integer
// handles instead and are not supported by this shim.
//
// Every function returns MPI's error code (0 = MPI_SUCCESS), or -1 when libmpi is not loaded.
#ifndef AFINA_MPI_H
#define AFINA_MPI_H

#include <stddef.h>

/// Loads `library` (e.g. "libmpi.so.40") and resolves every symbol the shim uses. On
/// failure returns -1 and writes the reason (dlerror's text) into `error`.
int afina_mpi_open(const char *library, char *error, size_t error_size);
int afina_mpi_init(void);
int afina_mpi_finalize(void);
/// Ends every process of the job (MPI_Abort on MPI_COMM_WORLD).
int afina_mpi_abort(int code);
int afina_mpi_rank(int *rank);
int afina_mpi_size(int *size);
/// In-place sums over all ranks; every rank ends with the same values.
int afina_mpi_allreduce_sum_f32(float *values, int count);
int afina_mpi_allreduce_sum_f64(double *values, int count);
/// `count` bytes from `root` to every rank.
int afina_mpi_broadcast_bytes(void *bytes, int count, int root);
/// One int from every rank into `all` (size: ranks) on every rank.
int afina_mpi_allgather_int(int value, int *all);
/// Every rank's `count` bytes, concatenated in rank order into `all` on every rank, rank r's
/// at `offsets[r]` with `counts[r]` bytes.
int afina_mpi_allgather_bytes(const void *bytes, int count, void *all, const int *counts, const int *offsets);

#endif
