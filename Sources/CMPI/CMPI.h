// C wrapper for MPI (Debian: libopenmpi-dev, pkg-config ompi-c), used by the `vasfem`
// command only, to spread masks over ranks; the VasFEM library does not depend on it.
//
// Open MPI's handles (MPI_COMM_WORLD, MPI_BYTE, ...) are macros that take addresses of
// globals, which Swift cannot import; the static inline functions below expose them.
#ifndef LATENTSAMPLING_CMPI_H
#define LATENTSAMPLING_CMPI_H
#include <mpi.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype cmpi_int64(void) { return MPI_INT64_T; }
static inline int cmpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int cmpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline int cmpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline MPI_Status *cmpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

#endif
