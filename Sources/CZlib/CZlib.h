// C wrapper for zlib (Debian: zlib1g-dev): `Datasets` inflates gzip files (IDX, CIFAR-10)
// and the vasfem command inflates PNG masks.
//
// `inflateInit2` is a macro that passes the library version and the size of
// `z_stream`; Swift cannot import it, so the static inline function below
// exposes it.
#ifndef LATENTSAMPLING_CZLIB_H
#define LATENTSAMPLING_CZLIB_H
#include <zlib.h>

/// Starts inflating a gzip stream (header and CRC-32 trailer; window bits 16 + MAX_WBITS).
static inline int ls_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 16 + MAX_WBITS);
}

#endif
