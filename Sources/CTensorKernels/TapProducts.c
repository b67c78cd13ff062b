// Direct convolution kernels over shifted views (see ShiftedLayout in the tensor engine).
//
// A stride-1 convolution of a zero-padded, channel-major buffer is a sum of products with
// shifted views of that buffer:
//
//     P[r, c] = Σ_g Σ_d W[g, r, d] · X[d, c + o_g]          (forward pass, input gradient)
//     S[g, r, d] += Σ_c G[r, c] · X[d, c + o_g]            (weight gradient)
//
// where o_g is the offset of kernel tap g in the padded plane. BLAS computes each of them
// as one product per tap and packs the shifted view every time; with the engine's channel
// counts (1–64) that packing and the short inner dimension cost a third of a training step.
// These kernels read the views in place and keep a register tile of the result across all
// taps and channels. The AVX2 + FMA versions are used when the CPU has them; the portable
// versions are plain loops (the engine then uses BLAS instead, see `ck_tap_kernels_fast`).
#include "CTensorKernels.h"
#include "AVX2Support.h"

// Blocks of output rows of the forward kernel. The packed weights hold a run of blocks of
// TP_TALL rows (the 6 × 16 register tile: twelve accumulators, enough to keep both FMA units
// busy) followed by blocks of TP_ROWS rows, chosen so that the common channel counts need no
// padding rows: 16 = 6 + 6 + 4, 32 = 4·6 + 4 + 4, 64 = 10·6 + 4. TP_BLOCK: columns per block
// of ck_tap_products.
enum { TP_ROWS = 4, TP_TALL = 6, TP_BLOCK = 128 };

/// How `rows` output rows are cut into blocks: `tall` blocks of TP_TALL rows, then `short`
/// blocks of TP_ROWS; only the last block may hold fewer valid rows than its height.
typedef struct { long tall, shortBlocks; } tp_blocks;

static tp_blocks tp_blocks_for(long rows) {
    long tall = rows / TP_TALL, rest = rows % TP_TALL;
    switch (rest) {
    case 0: return (tp_blocks){tall, 0};
    case 2:  // 6 + 2 → 4 + 4
        return tall > 0 ? (tp_blocks){tall - 1, 2} : (tp_blocks){0, 1};
    case 5: return (tp_blocks){tall + 1, 0};
    default: return (tp_blocks){tall, 1};  // 1, 3 or 4 rows in a block of 4
    }
}

/// First row and height of block b.
static inline void tp_block(tp_blocks blocks, long b, long *first, long *height) {
    if (b < blocks.tall) {
        *first = b * TP_TALL;
        *height = TP_TALL;
    } else {
        *first = blocks.tall * TP_TALL + (b - blocks.tall) * TP_ROWS;
        *height = TP_ROWS;
    }
}

long ck_tap_weights_count(long groups, long rows, long depth) {
    tp_blocks blocks = tp_blocks_for(rows);
    return (blocks.tall * TP_TALL + blocks.shortBlocks * TP_ROWS) * depth * groups;
}

void ck_pack_tap_weights(const float *weights, long groups, long rows, long depth, float *packed) {
    tp_blocks blocks = tp_blocks_for(rows);
    for (long b = 0; b < blocks.tall + blocks.shortBlocks; b++) {
        long first, height;
        tp_block(blocks, b, &first, &height);
        for (long d = 0; d < depth; d++)
            for (long g = 0; g < groups; g++)
                for (long i = 0; i < height; i++) {
                    long r = first + i;
                    *packed++ = r < rows ? weights[(g * rows + r) * depth + d] : 0.0f;
                }
    }
}

int ck_tap_kernels_fast(void) { return ck_simd_level() == CK_SIMD_AVX2_FMA; }

// MARK: Portable versions

static void tap_products_portable(const float *x, long ldx, const long *offsets, long groups,
                                  const float *packed, long rows, long depth, const float *bias, float *p,
                                  long ldp, long c0, long c1, int accumulate) {
    tp_blocks blocks = tp_blocks_for(rows);
    long n = c1 - c0;
    for (long r = 0; r < rows; r++) {
        float *out = p + r * ldp;
        float start = bias ? bias[r] : 0.0f;
        for (long c = 0; c < n; c++) out[c] = (accumulate ? out[c] : 0.0f) + start;
    }
    for (long b = 0; b < blocks.tall + blocks.shortBlocks; b++) {
        long first, height;
        tp_block(blocks, b, &first, &height);
        const float *w = packed + first * depth * groups;
        for (long d = 0; d < depth; d++)
            for (long g = 0; g < groups; g++, w += height) {
                const float *in = x + d * ldx + offsets[g] + c0;
                for (long i = 0; i < height && first + i < rows; i++) {
                    float wi = w[i];
                    float *out = p + (first + i) * ldp;
                    for (long c = 0; c < n; c++) out[c] += wi * in[c];
                }
            }
    }
}

static void tap_weight_gradients_portable(const float *x, long ldx, long xs, const long *offsets, long groups,
                                          const float *gr, long ldg, long gs, long segments, long width,
                                          long rows, long depth, float *sums) {
    for (long g = 0; g < groups; g++)
        for (long r = 0; r < rows; r++)
            for (long d = 0; d < depth; d++) {
                float total = 0;
                for (long s = 0; s < segments; s++) {
                    const float *a = gr + r * ldg + s * gs, *b = x + d * ldx + offsets[g] + s * xs;
                    for (long c = 0; c < width; c++) total += a[c] * b[c];
                }
                sums[(g * rows + r) * depth + d] += total;
            }
}

#if CK_X86

// MARK: AVX2 + FMA: products

// Lanes of the last partial vector: the first `n` (1…7) set.
CK_AVX2_INLINE __m256i tp_mask(long n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// One tile: TP_ROWS rows (those < `valid` stored) × 16 columns starting at c, summed over
// every (d, g): eight accumulators (enough to hide the FMA latency), two input vectors and
// one broadcast weight, written out so that the compiler keeps them all in registers.
CK_AVX2_INLINE void tp_tile16(const float *x, long ldx, const long *offsets, long groups, const float *w,
                         long depth, const float *bias, float *p, long ldp, long c, long valid, int accumulate) {
    __m256 a00, a01, a10, a11, a20, a21, a30, a31;
    a00 = a01 = a10 = a11 = a20 = a21 = a30 = a31 = _mm256_setzero_ps();
    if (bias) {
        a00 = a01 = _mm256_set1_ps(bias[0]);
        if (valid > 1) a10 = a11 = _mm256_set1_ps(bias[1]);
        if (valid > 2) a20 = a21 = _mm256_set1_ps(bias[2]);
        if (valid > 3) a30 = a31 = _mm256_set1_ps(bias[3]);
    }
    for (long d = 0; d < depth; d++) {
        const float *row = x + d * ldx + c;
        for (long g = 0; g < groups; g++, w += TP_ROWS) {
            const float *in = row + offsets[g];
            __m256 x0 = _mm256_loadu_ps(in), x1 = _mm256_loadu_ps(in + 8);
            __m256 wi = _mm256_broadcast_ss(w);
            a00 = _mm256_fmadd_ps(wi, x0, a00); a01 = _mm256_fmadd_ps(wi, x1, a01);
            wi = _mm256_broadcast_ss(w + 1);
            a10 = _mm256_fmadd_ps(wi, x0, a10); a11 = _mm256_fmadd_ps(wi, x1, a11);
            wi = _mm256_broadcast_ss(w + 2);
            a20 = _mm256_fmadd_ps(wi, x0, a20); a21 = _mm256_fmadd_ps(wi, x1, a21);
            wi = _mm256_broadcast_ss(w + 3);
            a30 = _mm256_fmadd_ps(wi, x0, a30); a31 = _mm256_fmadd_ps(wi, x1, a31);
        }
    }
    __m256 acc[4][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}};
    for (int i = 0; i < TP_ROWS && i < valid; i++)
        for (int v = 0; v < 2; v++) {
            float *dst = p + i * ldp + 8 * v;
            _mm256_storeu_ps(dst, accumulate ? _mm256_add_ps(acc[i][v], _mm256_loadu_ps(dst)) : acc[i][v]);
        }
}

// A single row × 64 columns (a block of rows with only its first row valid, e.g. a
// convolution to one channel): eight accumulators along the row instead of a 4 × 16 tile of
// which three rows would be wasted.
CK_AVX2_INLINE void tp_row64(const float *x, long ldx, const long *offsets, long groups, const float *w,
                        long depth, const float *bias, float *p, long c, int accumulate) {
    __m256 a[8];
    for (int v = 0; v < 8; v++) a[v] = bias ? _mm256_set1_ps(bias[0]) : _mm256_setzero_ps();
    for (long d = 0; d < depth; d++) {
        const float *row = x + d * ldx + c;
        for (long g = 0; g < groups; g++, w += TP_ROWS) {
            const float *in = row + offsets[g];
            __m256 wi = _mm256_broadcast_ss(w);
            for (int v = 0; v < 8; v++) a[v] = _mm256_fmadd_ps(wi, _mm256_loadu_ps(in + 8 * v), a[v]);
        }
    }
    for (int v = 0; v < 8; v++)
        _mm256_storeu_ps(p + 8 * v, accumulate ? _mm256_add_ps(a[v], _mm256_loadu_ps(p + 8 * v)) : a[v]);
}

// One tile of 8 columns (the last `tail` lanes only, when 0 < tail < 8), as `tp_tile16`.
CK_AVX2_INLINE void tp_tile8(const float *x, long ldx, const long *offsets, long groups, const float *w,
                        long depth, const float *bias, float *p, long ldp, long c, long valid, int accumulate,
                        long tail) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    if (bias) {
        a0 = _mm256_set1_ps(bias[0]);
        if (valid > 1) a1 = _mm256_set1_ps(bias[1]);
        if (valid > 2) a2 = _mm256_set1_ps(bias[2]);
        if (valid > 3) a3 = _mm256_set1_ps(bias[3]);
    }
    __m256i mask = tail > 0 ? tp_mask(tail) : _mm256_set1_epi32(-1);
    for (long d = 0; d < depth; d++) {
        const float *row = x + d * ldx + c;
        for (long g = 0; g < groups; g++, w += TP_ROWS) {
            __m256 x0 = tail > 0 ? _mm256_maskload_ps(row + offsets[g], mask) : _mm256_loadu_ps(row + offsets[g]);
            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w), x0, a0);
            a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + 1), x0, a1);
            a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + 2), x0, a2);
            a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + 3), x0, a3);
        }
    }
    __m256 acc[4] = {a0, a1, a2, a3};
    for (int i = 0; i < TP_ROWS && i < valid; i++) {
        float *dst = p + i * ldp;
        __m256 old = accumulate ? _mm256_maskload_ps(dst, mask) : _mm256_setzero_ps();
        _mm256_maskstore_ps(dst, mask, _mm256_add_ps(acc[i], old));
    }
}

// One tall tile: TP_TALL rows (those < `valid` stored) × 16 columns starting at c: twelve
// accumulators, two input vectors and one broadcast weight, as `tp_tile16`. The two are written
// out separately on purpose: one function looping over a constant number of rows, with an array
// of accumulators, was compiled with the array in memory and ran at half the speed (46-50
// against 76-92 GFLOP/s in the C harness).
CK_AVX2_INLINE void tp_tall_tile16(const float *x, long ldx, const long *offsets, long groups, const float *w,
                                   long depth, const float *bias, float *p, long ldp, long c, long valid,
                                   int accumulate) {
    __m256 a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51;
    a00 = a01 = a10 = a11 = a20 = a21 = a30 = a31 = a40 = a41 = a50 = a51 = _mm256_setzero_ps();
    if (bias) {
        a00 = a01 = _mm256_set1_ps(bias[0]);
        if (valid > 1) a10 = a11 = _mm256_set1_ps(bias[1]);
        if (valid > 2) a20 = a21 = _mm256_set1_ps(bias[2]);
        if (valid > 3) a30 = a31 = _mm256_set1_ps(bias[3]);
        if (valid > 4) a40 = a41 = _mm256_set1_ps(bias[4]);
        if (valid > 5) a50 = a51 = _mm256_set1_ps(bias[5]);
    }
    for (long d = 0; d < depth; d++) {
        const float *row = x + d * ldx + c;
        for (long g = 0; g < groups; g++, w += TP_TALL) {
            const float *in = row + offsets[g];
            __m256 x0 = _mm256_loadu_ps(in), x1 = _mm256_loadu_ps(in + 8);
            __m256 wi = _mm256_broadcast_ss(w);
            a00 = _mm256_fmadd_ps(wi, x0, a00); a01 = _mm256_fmadd_ps(wi, x1, a01);
            wi = _mm256_broadcast_ss(w + 1);
            a10 = _mm256_fmadd_ps(wi, x0, a10); a11 = _mm256_fmadd_ps(wi, x1, a11);
            wi = _mm256_broadcast_ss(w + 2);
            a20 = _mm256_fmadd_ps(wi, x0, a20); a21 = _mm256_fmadd_ps(wi, x1, a21);
            wi = _mm256_broadcast_ss(w + 3);
            a30 = _mm256_fmadd_ps(wi, x0, a30); a31 = _mm256_fmadd_ps(wi, x1, a31);
            wi = _mm256_broadcast_ss(w + 4);
            a40 = _mm256_fmadd_ps(wi, x0, a40); a41 = _mm256_fmadd_ps(wi, x1, a41);
            wi = _mm256_broadcast_ss(w + 5);
            a50 = _mm256_fmadd_ps(wi, x0, a50); a51 = _mm256_fmadd_ps(wi, x1, a51);
        }
    }
    __m256 acc[TP_TALL][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}, {a40, a41}, {a50, a51}};
    for (int i = 0; i < TP_TALL && i < valid; i++)
        for (int v = 0; v < 2; v++) {
            float *dst = p + i * ldp + 8 * v;
            _mm256_storeu_ps(dst, accumulate ? _mm256_add_ps(acc[i][v], _mm256_loadu_ps(dst)) : acc[i][v]);
        }
}

// One tall tile of 8 columns (the last `tail` lanes only, when 0 < tail < 8), as `tp_tile8`.
CK_AVX2_INLINE void tp_tall_tile8(const float *x, long ldx, const long *offsets, long groups, const float *w,
                                  long depth, const float *bias, float *p, long ldp, long c, long valid,
                                  int accumulate, long tail) {
    __m256 a[TP_TALL];
    for (int i = 0; i < TP_TALL; i++) a[i] = bias && i < valid ? _mm256_set1_ps(bias[i]) : _mm256_setzero_ps();
    __m256i mask = tail > 0 ? tp_mask(tail) : _mm256_set1_epi32(-1);
    for (long d = 0; d < depth; d++) {
        const float *row = x + d * ldx + c;
        for (long g = 0; g < groups; g++, w += TP_TALL) {
            __m256 x0 = tail > 0 ? _mm256_maskload_ps(row + offsets[g], mask) : _mm256_loadu_ps(row + offsets[g]);
            for (int i = 0; i < TP_TALL; i++) a[i] = _mm256_fmadd_ps(_mm256_broadcast_ss(w + i), x0, a[i]);
        }
    }
    for (int i = 0; i < TP_TALL && i < valid; i++) {
        float *dst = p + i * ldp;
        __m256 old = accumulate ? _mm256_maskload_ps(dst, mask) : _mm256_setzero_ps();
        _mm256_maskstore_ps(dst, mask, _mm256_add_ps(a[i], old));
    }
}

CK_AVX2 static void tap_products_avx2(const float *x, long ldx, const long *offsets, long groups,
                                      const float *packed, long rows, long depth, const float *bias, float *p,
                                      long ldp, long c0, long c1, int accumulate) {
    tp_blocks blocks = tp_blocks_for(rows);
    // Column blocks of TP_BLOCK; inside one, each block of rows passes over every tile, so
    // that block's weights (depth · groups · height floats) stay in L1 across the tiles.
    for (long cb = c0; cb < c1; cb += TP_BLOCK) {
        long ce = cb + TP_BLOCK < c1 ? cb + TP_BLOCK : c1;
        for (long b = 0; b < blocks.tall + blocks.shortBlocks; b++) {
            long first, height;
            tp_block(blocks, b, &first, &height);
            const float *w = packed + first * depth * groups, *rowBias = bias ? bias + first : 0;
            float *out = p + first * ldp;
            long valid = rows - first, c = cb;
            if (height == TP_TALL) {
                for (; c + 16 <= ce; c += 16)
                    tp_tall_tile16(x, ldx, offsets, groups, w, depth, rowBias, out + (c - c0), ldp, c, valid,
                                   accumulate);
                for (; c + 8 <= ce; c += 8)
                    tp_tall_tile8(x, ldx, offsets, groups, w, depth, rowBias, out + (c - c0), ldp, c, valid,
                                  accumulate, 0);
                if (c < ce)
                    tp_tall_tile8(x, ldx, offsets, groups, w, depth, rowBias, out + (c - c0), ldp, c, valid,
                                  accumulate, ce - c);
                continue;
            }
            if (valid == 1)
                for (; c + 64 <= ce; c += 64)
                    tp_row64(x, ldx, offsets, groups, w, depth, rowBias, out + (c - c0), c, accumulate);
            for (; c + 16 <= ce; c += 16)
                tp_tile16(x, ldx, offsets, groups, w, depth, rowBias, out + (c - c0), ldp, c, valid, accumulate);
            for (; c + 8 <= ce; c += 8)
                tp_tile8(x, ldx, offsets, groups, w, depth, rowBias, out + (c - c0), ldp, c, valid, accumulate, 0);
            if (c < ce)
                tp_tile8(x, ldx, offsets, groups, w, depth, rowBias, out + (c - c0), ldp, c, valid, accumulate, ce - c);
        }
    }
}

// MARK: AVX2 + FMA: weight gradients

// Adds Σ_s Σ_j G[r, s·gs + j]·X[d, s·xs + j] over `segments` runs of `width` columns (s < segments,
// j < width) to out[r·depth + d], for R rows × D depths: a 4 × 3 tile of sums in registers.
CK_AVX2_INLINE void tp_gradient_tile(const float *gr, long ldg, long gs, const float *x, long ldx, long xs,
                                long segments, long width, float *out, long depth, const int R, const int D) {
    __m256 acc[4][3];
    for (int r = 0; r < R; r++)
        for (int d = 0; d < D; d++) acc[r][d] = _mm256_setzero_ps();
    __m256i mask = tp_mask(width % 8);
    for (long s = 0; s < segments; s++) {
        const float *g0 = gr + s * gs, *x0 = x + s * xs;
        long c = 0;
        for (; c + 8 <= width; c += 8) {
            __m256 xv[3];
            for (int d = 0; d < D; d++) xv[d] = _mm256_loadu_ps(x0 + d * ldx + c);
            for (int r = 0; r < R; r++) {
                __m256 gv = _mm256_loadu_ps(g0 + r * ldg + c);
                for (int d = 0; d < D; d++) acc[r][d] = _mm256_fmadd_ps(gv, xv[d], acc[r][d]);
            }
        }
        if (c < width) {
            __m256 xv[3];
            for (int d = 0; d < D; d++) xv[d] = _mm256_maskload_ps(x0 + d * ldx + c, mask);
            for (int r = 0; r < R; r++) {
                __m256 gv = _mm256_maskload_ps(g0 + r * ldg + c, mask);
                for (int d = 0; d < D; d++) acc[r][d] = _mm256_fmadd_ps(gv, xv[d], acc[r][d]);
            }
        }
    }
    for (int r = 0; r < R; r++)
        for (int d = 0; d < D; d++) out[r * depth + d] += ck_horizontal_sum(acc[r][d]);
}

CK_AVX2_INLINE void tp_gradient_rows(const float *gr, long ldg, long gs, const float *x, long ldx, long xs,
                                long segments, long width, float *out, long depth, const int R) {
    long d = 0;
    for (; d + 3 <= depth; d += 3)
        tp_gradient_tile(gr, ldg, gs, x + d * ldx, ldx, xs, segments, width, out + d, depth, R, 3);
    if (depth - d == 2) tp_gradient_tile(gr, ldg, gs, x + d * ldx, ldx, xs, segments, width, out + d, depth, R, 2);
    else if (depth - d == 1) tp_gradient_tile(gr, ldg, gs, x + d * ldx, ldx, xs, segments, width, out + d, depth, R, 1);
}

CK_AVX2 static void tap_weight_gradients_avx2(const float *x, long ldx, long xs, const long *offsets, long groups,
                                              const float *gr, long ldg, long gs, long segments, long width,
                                              long rows, long depth, float *sums) {
    // Blocks of about 512 columns (whole segments): four gradient rows (8 KiB) and three
    // shifted input rows stay in L1 across the taps.
    long perBlock = width >= 512 ? 1 : 512 / width, columnBlock = width > 512 ? 512 : width;
    for (long s0 = 0; s0 < segments; s0 += perBlock) {
        long count = s0 + perBlock < segments ? perBlock : segments - s0;
        for (long j0 = 0; j0 < width; j0 += columnBlock) {
            long w = j0 + columnBlock < width ? columnBlock : width - j0;
            const float *g0 = gr + s0 * gs + j0, *x0 = x + s0 * xs + j0;
            for (long g = 0; g < groups; g++) {
                const float *view = x0 + offsets[g];
                float *out = sums + g * rows * depth;
                long r = 0;
                for (; r + 4 <= rows; r += 4)
                    tp_gradient_rows(g0 + r * ldg, ldg, gs, view, ldx, xs, count, w, out + r * depth, depth, 4);
                switch (rows - r) {
                case 3: tp_gradient_rows(g0 + r * ldg, ldg, gs, view, ldx, xs, count, w, out + r * depth, depth, 3); break;
                case 2: tp_gradient_rows(g0 + r * ldg, ldg, gs, view, ldx, xs, count, w, out + r * depth, depth, 2); break;
                case 1: tp_gradient_rows(g0 + r * ldg, ldg, gs, view, ldx, xs, count, w, out + r * depth, depth, 1); break;
                default: break;
                }
            }
        }
    }
}

#endif

// MARK: Dispatch

void ck_tap_products(const float *x, long ldx, const long *offsets, long groups, const float *packed,
                     long rows, long depth, const float *bias, float *p, long ldp, long c0, long c1,
                     int accumulate) {
    if (c1 <= c0 || rows <= 0) return;
#if CK_X86
    if (ck_tap_kernels_fast()) {
        tap_products_avx2(x, ldx, offsets, groups, packed, rows, depth, bias, p, ldp, c0, c1, accumulate);
        return;
    }
#endif
    tap_products_portable(x, ldx, offsets, groups, packed, rows, depth, bias, p, ldp, c0, c1, accumulate);
}

void ck_tap_weight_gradients(const float *x, long ldx, const long *offsets, long groups, const float *gradient,
                             long ldg, long rows, long depth, float *sums, long c0, long c1) {
    ck_tap_weight_gradients_in_rows(x + c0, ldx, 0, offsets, groups, gradient + c0, ldg, 0, 1, c1 - c0, rows, depth,
                                    sums);
}

void ck_tap_weight_gradients_in_rows(const float *x, long ldx, long xRowStride, const long *offsets, long groups,
                                     const float *gradient, long ldg, long gradientRowStride, long segments,
                                     long width, long rows, long depth, float *sums) {
    if (segments <= 0 || width <= 0 || rows <= 0 || depth <= 0) return;
#if CK_X86
    if (ck_tap_kernels_fast()) {
        tap_weight_gradients_avx2(x, ldx, xRowStride, offsets, groups, gradient, ldg, gradientRowStride, segments,
                                  width, rows, depth, sums);
        return;
    }
#endif
    tap_weight_gradients_portable(x, ldx, xRowStride, offsets, groups, gradient, ldg, gradientRowStride, segments,
                                  width, rows, depth, sums);
}
