// C wrapper for OpenBLAS's CBLAS and for LAPACKE (Debian: libopenblas-dev, liblapacke-dev).
//
// OpenBLAS starts as many threads as there are cores unless told otherwise. The
// project sets the count explicitly through `openblas_set_num_threads` (see
// `BLASThreads` in the tensor engine and the README); the environment variable
// OPENBLAS_NUM_THREADS is honoured when the program does not override it.
#ifndef LATENTSAMPLING_COPENBLAS_H
#define LATENTSAMPLING_COPENBLAS_H

#include <cblas.h>

// LAPACKE with plain (non-complex) prototypes only: Swift does not import C99
// `_Complex`, so complex routines are declared with opaque structs instead.
#ifndef lapack_complex_float
typedef struct { float real, imag; } ls_lapack_complex_float;
#define lapack_complex_float ls_lapack_complex_float
#endif
#ifndef lapack_complex_double
typedef struct { double real, imag; } ls_lapack_complex_double;
#define lapack_complex_double ls_lapack_complex_double
#endif
#include <lapacke.h>

#endif
