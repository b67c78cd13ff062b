// C wrapper for the gmsh C API (Debian: libgmsh-dev, header gmshc.h, gmsh 4.8).
//
// gmsh keeps global state (one model tree per process): callers must serialize
// every gmsh call. The VasFEM module does so with a process-wide lock.
#ifndef LATENTSAMPLING_CGMSH_H
#define LATENTSAMPLING_CGMSH_H
#include <gmshc.h>
#endif
