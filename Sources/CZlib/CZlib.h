// C wrapper for zlib (Debian: zlib1g-dev), used by the vasfem command to read PNG masks.
#ifndef LATENTSAMPLING_CZLIB_H
#define LATENTSAMPLING_CZLIB_H
#include <zlib.h>
#endif
