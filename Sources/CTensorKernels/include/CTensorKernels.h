// CTensorKernels: the tensor engine's element-wise kernels in C, each with a baseline
// x86-64 (SSE2) version and an AVX2 + FMA version chosen once at start-up from the CPU's
// features (`__builtin_cpu_supports`). Source-level `target` attributes select the
// instruction set per function, so the package needs no compiler flags.
//
// Every array argument holds `count` floats; input and output may be the same array
// where the comment says so. Nothing here allocates or keeps a pointer.
#ifndef CTENSORKERNELS_H
#define CTENSORKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// SIMD levels: 0 = baseline x86-64 (SSE2) or a non-x86 CPU, 1 = AVX2 with FMA.
enum { CK_SIMD_BASELINE = 0, CK_SIMD_AVX2_FMA = 1 };

/// The level the kernels use now (the best the CPU supports, unless changed).
int ck_simd_level(void);
/// The best level this CPU supports.
int ck_simd_level_supported(void);
/// Uses `level` (clamped to what the CPU supports) and returns the level now in use.
/// For tests and benchmarks that compare the two paths; not thread-safe against
/// kernels running at the same time.
int ck_set_simd_level(int level);

/// y = max(x, 0). `y` may be `x`.
void ck_relu(const float *x, float *y, long count);
/// dx = (y > 0) ? g : 0, with y the ReLU's output. `dx` may be `g`.
void ck_relu_backward(const float *g, const float *y, float *dx, long count);
/// out = a + b.
void ck_add(const float *a, const float *b, float *out, long count);
/// out = a · b.
void ck_multiply(const float *a, const float *b, float *out, long count);
/// out = factor · a.
void ck_scale(const float *a, float factor, float *out, long count);

/// One Adam step in place (PyTorch's update, L2 weight decay `l2` folded into g):
/// g' = g + l2·θ, m ← β₁m + (1 − β₁)g', v ← β₂v + (1 − β₂)g'²,
/// θ ← θ − stepSize·m / (√v · inverseSqrtCorrection2 + ε).
void ck_adam(float *theta, const float *g, float *m, float *v, long count,
             float beta1, float beta2, float l2, float stepSize, float inverseSqrtCorrection2, float epsilon);

/// Binary cross-entropy from logits: returns Σ max(x, 0) − x·t + log(1 + e^(−|x|)) (summed
/// in float, in lanes) and writes σ(x) to `sigma`.
float ck_bce_logits(const float *x, const float *t, float *sigma, long count);
/// d = factor · (sigma − t).
void ck_scaled_difference(const float *sigma, const float *t, float factor, float *d, long count);

/// y = scale·(x − center) + shift (BatchNorm's forward pass on one plane).
void ck_affine(const float *x, float center, float scale, float shift, float *y, long count);
/// d = dyScale·g + xScale·(x − center) + shift (BatchNorm's input gradient on one plane).
void ck_affine_combination(const float *g, const float *x, float dyScale, float xScale, float center,
                           float shift, float *d, long count);

/// Σ x over `count` values, in float lanes over blocks of 256 added in double.
double ck_sum(const float *x, long count);
/// Σ (x − center)², in float lanes over blocks of 256 added in double.
double ck_squared_deviations(const float *x, float center, long count);
/// Σ g and Σ g·(x − center), in float lanes over blocks of 256 added in double.
void ck_sum_and_centered_dot(const float *g, const float *x, float center, long count,
                             double *sum, double *dot);


// MARK: BatchNorm followed by ReLU
//
// The forward map and the two backward passes of BatchNorm with the ReLU's mask (y > 0)
// applied to the incoming gradient on the fly, so that neither the ReLU's output nor its
// gradient is written out. The masked kernels are the unmasked ones above with the mask
// applied, so the fused step rounds exactly like the two separate ones.

/// y = max(0, scale·(x − center) + shift).
void ck_affine_relu(const float *x, float center, float scale, float shift, float *y, long count);
/// d = dyScale·g·[mask > 0] + xScale·(x − center) + shift (`mask`: the ReLU's output).
void ck_masked_affine_combination(const float *g, const float *mask, const float *x, float dyScale, float xScale,
                                  float center, float shift, float *d, long count);
/// Σ g·[mask > 0] and Σ g·[mask > 0]·(x − center), in float lanes over blocks of 256 added in double.
void ck_masked_sum_and_centered_dot(const float *g, const float *mask, const float *x, float center, long count,
                                    double *sum, double *dot);

// MARK: Convolution over shifted views (TapProducts.c)
//
// `x` is a padded, channel-major buffer: row d starts at x + d·ldx, and tap g of the kernel
// reads row d shifted by offsets[g]. Columns c0..<c1 are computed; the caller guarantees that
// every x[d·ldx + offsets[g] + c] read is inside its buffer.

/// Floats of the packed weights of `ck_tap_products` (rows rounded up to the register tile).
long ck_tap_weights_count(long groups, long rows, long depth);
/// Packs weights [groups, rows, depth] (entry (g, r, d) = W[g, r, d]) for `ck_tap_products`.
void ck_pack_tap_weights(const float *weights, long groups, long rows, long depth, float *packed);
/// Whether the tap kernels run vectorized (AVX2 + FMA) at the current SIMD level; the engine
/// uses BLAS instead when they do not.
int ck_tap_kernels_fast(void);
/// p[r·ldp + c − c0] = (accumulate ? p[r·ldp + c − c0] : 0) + (bias ? bias[r] : 0)
///                     + Σ_g Σ_d W[g, r, d] · x[d·ldx + offsets[g] + c]
/// for r < rows and c0 ≤ c < c1, with W packed by `ck_pack_tap_weights` (`p` points at
/// column c0's result; `bias` may be NULL).
void ck_tap_products(const float *x, long ldx, const long *offsets, long groups, const float *packed,
                     long rows, long depth, const float *bias, float *p, long ldp, long c0, long c1,
                     int accumulate);
/// sums[(g·rows + r)·depth + d] += Σ_{c0 ≤ c < c1} gradient[r·ldg + c] · x[d·ldx + offsets[g] + c]
/// for every tap g, r < rows and d < depth.
void ck_tap_weight_gradients(const float *x, long ldx, const long *offsets, long groups, const float *gradient,
                             long ldg, long rows, long depth, float *sums, long c0, long c1);
/// sums[(g·rows + r)·depth + d] += Σ_{s < segments} Σ_{j < width}
///     gradient[r·ldg + s·gradientRowStride + j] · x[d·ldx + offsets[g] + s·xRowStride + j]:
/// the weight gradient over the rows of images whose gradient is stored unpadded (NCHW, rows
/// `gradientRowStride` apart) while the input is padded (rows `xRowStride` apart).
void ck_tap_weight_gradients_in_rows(const float *x, long ldx, long xRowStride, const long *offsets, long groups,
                                     const float *gradient, long ldg, long gradientRowStride, long segments,
                                     long width, long rows, long depth, float *sums);

// MARK: Polyphase split and merge (Phases.c)
//
// A stride-s grid splits into s phases per axis: fine index i + first = s·t + r belongs to
// phase r at coarse index t. Strided and transposed convolutions become stride-1 ones over
// the phases; these copy one row between the two forms.

/// dst[t] = src[first + stride·t] where 0 ≤ first + stride·t < srcCount, else 0, for t < count:
/// one row of phase (first mod stride) of a row of `srcCount` values.
void ck_phase_split_row(float *dst, long count, const float *src, long srcCount, long first, long stride);
/// dst[j] = phases[r][t] + bias for j < count, with j + first = stride·t + r (first ≥ 0), where
/// t < limit, else bias: a row of the fine grid from the matching rows of its `stride` phases.
void ck_phase_merge_row(float *dst, long count, const float *const *phases, long stride, long first, long limit,
                        float bias);

// MARK: Worker pool (WorkerPool.c)
//
// The engine's fork–join threads: idle workers spin for a short while before they sleep, so
// the next parallel loop of a training step starts without a wake-up.

/// One share of a parallel job: `task(context, index)`.
typedef void (*ck_task)(void *context, long index);
/// Runs task(context, i) for every i < count, index 0 on the calling thread and the others on
/// the pool's workers, and returns when all are done (0). Returns −1 without running anything
/// when the pool is busy (another thread's job, or a call from inside a task) or cannot start
/// enough workers (more than 64 shares, or thread creation failed): the caller then runs the
/// job another way.
int ck_pool_run(long count, ck_task task, void *context);
/// Microseconds an idle worker spins before it sleeps (default 200; 0: sleep at once).
void ck_pool_set_spin_microseconds(long microseconds);
/// The spin time now in use, in microseconds.
long ck_pool_spin_microseconds(void);

#ifdef __cplusplus
}
#endif

#endif
