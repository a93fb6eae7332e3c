// See afina_mpi.h: Open MPI 4.x resolved with dlsym. MPI handles are pointers to Open MPI's
// predefined objects, so they are kept here as void pointers.
#include "afina_mpi.h"

#include <dlfcn.h>
#include <stdio.h>

typedef void *handle;

struct functions {
    handle comm_world, type_float, type_double, type_byte, type_int, op_sum;
    int (*init)(int *, char ***);
    int (*finalize)(void);
    int (*abort)(handle, int);
    int (*comm_rank)(handle, int *);
    int (*comm_size)(handle, int *);
    int (*allreduce)(const void *, void *, int, handle, handle, handle);
    int (*bcast)(void *, int, handle, int, handle);
    int (*allgather)(const void *, int, handle, void *, int, handle, handle);
    int (*allgatherv)(const void *, int, handle, void *, const int *, const int *, handle, handle);
};

// Filled only when every symbol resolved, so a failed open leaves the shim unloaded.
static struct functions mpi;

// Open MPI's MPI_IN_PLACE.
#define IN_PLACE ((void *)1)

int afina_mpi_open(const char *library, char *error, size_t error_size) {
    // RTLD_GLOBAL: Open MPI's own plugins, which it dlopens, link against libmpi's symbols.
    void *lib = dlopen(library, RTLD_NOW | RTLD_GLOBAL);
    struct functions found;
    if (!lib) {
        snprintf(error, error_size, "%s", dlerror());
        return -1;
    }
#define RESOLVE(field, symbol)                                                                  \
    if (!(*(void **)&found.field = dlsym(lib, symbol))) {                                       \
        snprintf(error, error_size, "%s has no symbol %s (not Open MPI 4.x?)", library, symbol); \
        return -1;                                                                              \
    }
    RESOLVE(comm_world, "ompi_mpi_comm_world")
    RESOLVE(type_float, "ompi_mpi_float")
    RESOLVE(type_double, "ompi_mpi_double")
    RESOLVE(type_byte, "ompi_mpi_byte")
    RESOLVE(type_int, "ompi_mpi_int")
    RESOLVE(op_sum, "ompi_mpi_op_sum")
    RESOLVE(init, "MPI_Init")
    RESOLVE(finalize, "MPI_Finalize")
    RESOLVE(abort, "MPI_Abort")
    RESOLVE(comm_rank, "MPI_Comm_rank")
    RESOLVE(comm_size, "MPI_Comm_size")
    RESOLVE(allreduce, "MPI_Allreduce")
    RESOLVE(bcast, "MPI_Bcast")
    RESOLVE(allgather, "MPI_Allgather")
    RESOLVE(allgatherv, "MPI_Allgatherv")
#undef RESOLVE
    mpi = found;
    return 0;
}

#define LOADED(call) (mpi.init ? (call) : -1)

int afina_mpi_init(void) { return LOADED(mpi.init(NULL, NULL)); }
int afina_mpi_finalize(void) { return LOADED(mpi.finalize()); }
int afina_mpi_abort(int code) { return LOADED(mpi.abort(mpi.comm_world, code)); }
int afina_mpi_rank(int *rank) { return LOADED(mpi.comm_rank(mpi.comm_world, rank)); }
int afina_mpi_size(int *size) { return LOADED(mpi.comm_size(mpi.comm_world, size)); }

int afina_mpi_allreduce_sum_f32(float *values, int count) {
    return LOADED(mpi.allreduce(IN_PLACE, values, count, mpi.type_float, mpi.op_sum, mpi.comm_world));
}

int afina_mpi_allreduce_sum_f64(double *values, int count) {
    return LOADED(mpi.allreduce(IN_PLACE, values, count, mpi.type_double, mpi.op_sum, mpi.comm_world));
}

int afina_mpi_broadcast_bytes(void *bytes, int count, int root) {
    return LOADED(mpi.bcast(bytes, count, mpi.type_byte, root, mpi.comm_world));
}

int afina_mpi_allgather_int(int value, int *all) {
    return LOADED(mpi.allgather(&value, 1, mpi.type_int, all, 1, mpi.type_int, mpi.comm_world));
}

int afina_mpi_allgather_bytes(const void *bytes, int count, void *all, const int *counts, const int *offsets) {
    return LOADED(mpi.allgatherv(bytes, count, mpi.type_byte, all, counts, offsets, mpi.type_byte, mpi.comm_world));
}
