// The tensor engine's element-wise kernels: a portable version of each (plain loops, which
// the compiler vectorizes for baseline x86-64, SSE2) and, on x86-64, an AVX2 + FMA version
// written with intrinsics. `ck_simd_level()` picks one at start-up from the CPU's features.
#include "CTensorKernels.h"
#include "AVX2Support.h"

#include <math.h>

// MARK: Dispatch

static int ck_supported_level = -1;
static int ck_level = -1;

static void ck_detect(void) {
    int best = CK_SIMD_BASELINE;
#if CK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = CK_SIMD_AVX2_FMA;
#endif
    ck_supported_level = best;
    if (ck_level < 0) ck_level = best;
}

__attribute__((constructor)) static void ck_initialize(void) { ck_detect(); }

int ck_simd_level_supported(void) {
    if (ck_supported_level < 0) ck_detect();
    return ck_supported_level;
}

int ck_simd_level(void) {
    if (ck_level < 0) ck_detect();
    return ck_level;
}

int ck_set_simd_level(int level) {
    int best = ck_simd_level_supported();
    ck_level = level < CK_SIMD_BASELINE ? CK_SIMD_BASELINE : (level > best ? best : level);
    return ck_level;
}

#if CK_X86
#define CK_USE_AVX2 (ck_simd_level() == CK_SIMD_AVX2_FMA)
#else
#define CK_USE_AVX2 0
#endif

// MARK: Portable versions

static void relu_portable(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0;
}

static void relu_backward_portable(const float *g, const float *y, float *dx, long n) {
    for (long i = 0; i < n; i++) dx[i] = y[i] > 0 ? g[i] : 0;
}

static void add_portable(const float *a, const float *b, float *out, long n) {
    for (long i = 0; i < n; i++) out[i] = a[i] + b[i];
}

static void multiply_portable(const float *a, const float *b, float *out, long n) {
    for (long i = 0; i < n; i++) out[i] = a[i] * b[i];
}

static void scale_portable(const float *a, float factor, float *out, long n) {
    for (long i = 0; i < n; i++) out[i] = factor * a[i];
}

static void adam_portable(float *theta, const float *g, float *m, float *v, long n, float b1, float b2,
                          float l2, float step, float inverseSqrtC2, float eps) {
    for (long i = 0; i < n; i++) {
        float gi = g[i] + l2 * theta[i];
        float mi = b1 * m[i] + (1 - b1) * gi;
        float vi = b2 * v[i] + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        theta[i] -= step * mi / (sqrtf(vi) * inverseSqrtC2 + eps);
    }
}

static float bce_portable(const float *x, const float *t, float *sigma, long n) {
    float total = 0;
    for (long i = 0; i < n; i++) {
        float xi = x[i];
        float e = expf(-fabsf(xi));  // e^(−|x|) ∈ (0, 1]: no overflow
        total += (xi > 0 ? xi : 0) - xi * t[i] + log1pf(e);
        sigma[i] = xi >= 0 ? 1 / (1 + e) : e / (1 + e);
    }
    return total;
}

static void scaled_difference_portable(const float *s, const float *t, float factor, float *d, long n) {
    for (long i = 0; i < n; i++) d[i] = factor * (s[i] - t[i]);
}

static void affine_portable(const float *x, float center, float scale, float shift, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = scale * (x[i] - center) + shift;
}

static void affine_relu_portable(const float *x, float center, float scale, float shift, float *y, long n) {
    for (long i = 0; i < n; i++) {
        float v = scale * (x[i] - center) + shift;
        y[i] = v > 0 ? v : 0;
    }
}

// g, or 0 where a fused ReLU's output `mask` is not positive (no mask: g).
#define CK_MASKED(g, mask, i) ((mask) == 0 || (mask)[i] > 0 ? (g)[i] : 0.0f)

// `mask`: the output of a ReLU fused after the BatchNorm, or NULL. Inlined into each entry
// point, so the unmasked one keeps its loop free of the test.
static inline __attribute__((always_inline)) void affine_combination_body(
    const float *g, const float *mask, const float *x, float k, float s, float center, float shift, float *d, long n) {
    for (long i = 0; i < n; i++) d[i] = k * CK_MASKED(g, mask, i) + s * (x[i] - center) + shift;
}

static void affine_combination_portable(const float *g, const float *x, float k, float s, float center, float shift,
                                        float *d, long n) {
    affine_combination_body(g, 0, x, k, s, center, shift, d, n);
}

static void masked_affine_combination_portable(const float *g, const float *mask, const float *x, float k, float s,
                                               float center, float shift, float *d, long n) {
    affine_combination_body(g, mask, x, k, s, center, shift, d, n);
}

// Sums: eight float lanes over blocks of 256 values, each block's total added in double.
static double sum_portable(const float *x, long n) {
    double total = 0;
    long i = 0;
    for (; i + 256 <= n; i += 256) {
        float lanes[8] = {0};
        for (long j = i; j < i + 256; j += 8)
            for (int k = 0; k < 8; k++) lanes[k] += x[j + k];
        float block = 0;
        for (int k = 0; k < 8; k++) block += lanes[k];
        total += block;
    }
    for (; i < n; i++) total += x[i];
    return total;
}

static double squared_deviations_portable(const float *x, float c, long n) {
    double total = 0;
    long i = 0;
    for (; i + 256 <= n; i += 256) {
        float lanes[8] = {0};
        for (long j = i; j < i + 256; j += 8)
            for (int k = 0; k < 8; k++) { float d = x[j + k] - c; lanes[k] += d * d; }
        float block = 0;
        for (int k = 0; k < 8; k++) block += lanes[k];
        total += block;
    }
    for (; i < n; i++) { float d = x[i] - c; total += d * d; }
    return total;
}

static inline __attribute__((always_inline)) void sum_and_centered_dot_body(
    const float *g, const float *mask, const float *x, float c, long n, double *s1, double *s2) {
    double t1 = 0, t2 = 0;
    long i = 0;
    for (; i + 256 <= n; i += 256) {
        float a1[8] = {0}, a2[8] = {0};
        for (long j = i; j < i + 256; j += 8)
            for (int k = 0; k < 8; k++) {
                float gv = CK_MASKED(g, mask, j + k);
                a1[k] += gv;
                a2[k] += gv * (x[j + k] - c);
            }
        float b1 = 0, b2 = 0;
        for (int k = 0; k < 8; k++) { b1 += a1[k]; b2 += a2[k]; }
        t1 += b1;
        t2 += b2;
    }
    for (; i < n; i++) {
        float gv = CK_MASKED(g, mask, i);
        t1 += gv;
        t2 += (double)gv * (double)(x[i] - c);
    }
    *s1 = t1;
    *s2 = t2;
}

static void sum_and_centered_dot_portable(const float *g, const float *x, float c, long n, double *s1, double *s2) {
    sum_and_centered_dot_body(g, 0, x, c, n, s1, s2);
}

static void masked_sum_and_centered_dot_portable(const float *g, const float *mask, const float *x, float c, long n,
                                                 double *s1, double *s2) {
    sum_and_centered_dot_body(g, mask, x, c, n, s1, s2);
}

// MARK: AVX2 + FMA versions

#if CK_X86

CK_AVX2 static void relu_avx2(const float *x, float *y, long n) {
    const __m256 zero = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_loadu_ps(x + i), zero));
    relu_portable(x + i, y + i, n - i);
}

CK_AVX2 static void relu_backward_avx2(const float *g, const float *y, float *dx, long n) {
    const __m256 zero = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 positive = _mm256_cmp_ps(_mm256_loadu_ps(y + i), zero, _CMP_GT_OQ);
        _mm256_storeu_ps(dx + i, _mm256_and_ps(_mm256_loadu_ps(g + i), positive));
    }
    relu_backward_portable(g + i, y + i, dx + i, n - i);
}

CK_AVX2 static void add_avx2(const float *a, const float *b, float *out, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    add_portable(a + i, b + i, out + i, n - i);
}

CK_AVX2 static void multiply_avx2(const float *a, const float *b, float *out, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    multiply_portable(a + i, b + i, out + i, n - i);
}

CK_AVX2 static void scale_avx2(const float *a, float factor, float *out, long n) {
    const __m256 f = _mm256_set1_ps(factor);
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(f, _mm256_loadu_ps(a + i)));
    scale_portable(a + i, factor, out + i, n - i);
}

CK_AVX2 static void adam_avx2(float *theta, const float *g, float *m, float *v, long n, float b1, float b2,
                              float l2, float step, float inverseSqrtC2, float eps) {
    const __m256 b1v = _mm256_set1_ps(b1), b2v = _mm256_set1_ps(b2);
    const __m256 c1 = _mm256_set1_ps(1 - b1), c2 = _mm256_set1_ps(1 - b2);
    const __m256 l2v = _mm256_set1_ps(l2), stepv = _mm256_set1_ps(step);
    const __m256 scalev = _mm256_set1_ps(inverseSqrtC2), epsv = _mm256_set1_ps(eps);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 th = _mm256_loadu_ps(theta + i);
        __m256 gi = _mm256_fmadd_ps(l2v, th, _mm256_loadu_ps(g + i));
        __m256 mi = _mm256_fmadd_ps(b1v, _mm256_loadu_ps(m + i), _mm256_mul_ps(c1, gi));
        __m256 vi = _mm256_fmadd_ps(b2v, _mm256_loadu_ps(v + i), _mm256_mul_ps(_mm256_mul_ps(c2, gi), gi));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 denominator = _mm256_fmadd_ps(_mm256_sqrt_ps(vi), scalev, epsv);
        _mm256_storeu_ps(theta + i, _mm256_fnmadd_ps(stepv, _mm256_div_ps(mi, denominator), th));
    }
    adam_portable(theta + i, g + i, m + i, v + i, n - i, b1, b2, l2, step, inverseSqrtC2, eps);
}

// e^x for x ≤ 0 (Cephes' single-precision exp: x = n·ln 2 + r, |r| ≤ ½ ln 2, a degree-5
// polynomial for e^r, 2^n built in the exponent bits); below −87.3 the result is clamped
// to e^−87.3 ≈ 1.2·10⁻³⁸, which the callers treat as 0 within float rounding.
CK_AVX2 static inline __m256 exp_nonpositive_avx2(__m256 x) {
    x = _mm256_max_ps(x, _mm256_set1_ps(-87.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
}

// log(1 + e) for e ∈ [0, 1] (Cephes' single-precision log of u = 1 + e, with the rounding
// of 1 + e corrected to first order: log1p(e) = log(u) + (e − (u − 1))/u).
CK_AVX2 static inline __m256 log1p_unit_avx2(__m256 e) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 u = _mm256_add_ps(one, e);
    __m256 correction = _mm256_div_ps(_mm256_sub_ps(e, _mm256_sub_ps(u, one)), u);
    // u ∈ [1, 2]: u = 2^k · f with f ∈ [√½, √2), k ∈ {0, 1}.
    __m256 large = _mm256_cmp_ps(u, _mm256_set1_ps(1.41421356237f), _CMP_GE_OQ);
    __m256 f = _mm256_blendv_ps(u, _mm256_mul_ps(u, _mm256_set1_ps(0.5f)), large);
    __m256 k = _mm256_and_ps(large, one);
    __m256 m = _mm256_sub_ps(f, one);
    __m256 z = _mm256_mul_ps(m, m);
    __m256 y = _mm256_set1_ps(7.0376836292e-2f);
    y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(-1.1514610310e-1f));
    y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(1.1676998740e-1f));
    y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(-1.2420140846e-1f));
    y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(1.4249322787e-1f));
    y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(-1.6668057665e-1f));
    y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(2.0000714765e-1f));
    y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(-2.4999993993e-1f));
    y = _mm256_fmadd_ps(y, m, _mm256_set1_ps(3.3333331174e-1f));
    y = _mm256_mul_ps(_mm256_mul_ps(y, m), z);
    y = _mm256_fmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), y);
    y = _mm256_fnmadd_ps(_mm256_set1_ps(0.5f), z, y);
    __m256 result = _mm256_add_ps(m, y);
    result = _mm256_fmadd_ps(k, _mm256_set1_ps(0.693359375f), result);
    return _mm256_add_ps(result, correction);
}

CK_AVX2 static float bce_avx2(const float *x, const float *t, float *sigma, long n) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
    const __m256 signMask = _mm256_set1_ps(-0.0f);
    __m256 acc = zero;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 xi = _mm256_loadu_ps(x + i);
        __m256 e = exp_nonpositive_avx2(_mm256_or_ps(xi, signMask));  // e^(−|x|)
        __m256 term = _mm256_fnmadd_ps(xi, _mm256_loadu_ps(t + i), _mm256_max_ps(xi, zero));
        acc = _mm256_add_ps(acc, _mm256_add_ps(term, log1p_unit_avx2(e)));
        __m256 nonnegative = _mm256_cmp_ps(xi, zero, _CMP_GE_OQ);
        _mm256_storeu_ps(sigma + i, _mm256_div_ps(_mm256_blendv_ps(e, one, nonnegative), _mm256_add_ps(one, e)));
    }
    return ck_horizontal_sum(acc) + bce_portable(x + i, t + i, sigma + i, n - i);
}

CK_AVX2 static void scaled_difference_avx2(const float *s, const float *t, float factor, float *d, long n) {
    const __m256 f = _mm256_set1_ps(factor);
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(d + i, _mm256_mul_ps(f, _mm256_sub_ps(_mm256_loadu_ps(s + i), _mm256_loadu_ps(t + i))));
    scaled_difference_portable(s + i, t + i, factor, d + i, n - i);
}

CK_AVX2 static void affine_avx2(const float *x, float center, float scale, float shift, float *y, long n) {
    const __m256 c = _mm256_set1_ps(center), a = _mm256_set1_ps(scale), b = _mm256_set1_ps(shift);
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), c), a, b));
    affine_portable(x + i, center, scale, shift, y + i, n - i);
}

CK_AVX2 static void affine_relu_avx2(const float *x, float center, float scale, float shift, float *y, long n) {
    const __m256 c = _mm256_set1_ps(center), a = _mm256_set1_ps(scale), b = _mm256_set1_ps(shift);
    const __m256 zero = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_fmadd_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), c), a, b), zero));
    affine_relu_portable(x + i, center, scale, shift, y + i, n - i);
}

// Eight values of g at i, zeroed where `mask` (NULL: none) is not positive.
CK_AVX2_INLINE __m256 ck_masked_load(const float *g,
                                                                                      const float *mask, long i) {
    __m256 gv = _mm256_loadu_ps(g + i);
    if (!mask) return gv;
    return _mm256_and_ps(gv, _mm256_cmp_ps(_mm256_loadu_ps(mask + i), _mm256_setzero_ps(), _CMP_GT_OQ));
}

CK_AVX2_INLINE void affine_combination_avx2_body(
    const float *g, const float *mask, const float *x, float k, float s, float center, float shift, float *d, long n) {
    const __m256 kv = _mm256_set1_ps(k), sv = _mm256_set1_ps(s);
    const __m256 cv = _mm256_set1_ps(center), shiftv = _mm256_set1_ps(shift);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 centered = _mm256_sub_ps(_mm256_loadu_ps(x + i), cv);
        _mm256_storeu_ps(d + i, _mm256_fmadd_ps(kv, ck_masked_load(g, mask, i), _mm256_fmadd_ps(sv, centered, shiftv)));
    }
    affine_combination_body(g + i, mask ? mask + i : 0, x + i, k, s, center, shift, d + i, n - i);
}

CK_AVX2 static void affine_combination_avx2(const float *g, const float *x, float k, float s, float center,
                                            float shift, float *d, long n) {
    affine_combination_avx2_body(g, 0, x, k, s, center, shift, d, n);
}

CK_AVX2 static void masked_affine_combination_avx2(const float *g, const float *mask, const float *x, float k,
                                                   float s, float center, float shift, float *d, long n) {
    affine_combination_avx2_body(g, mask, x, k, s, center, shift, d, n);
}

CK_AVX2 static double sum_avx2(const float *x, long n) {
    double total = 0;
    long i = 0;
    for (; i + 256 <= n; i += 256) {
        __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
        for (long j = i; j < i + 256; j += 16) {
            a = _mm256_add_ps(a, _mm256_loadu_ps(x + j));
            b = _mm256_add_ps(b, _mm256_loadu_ps(x + j + 8));
        }
        total += ck_horizontal_sum(_mm256_add_ps(a, b));
    }
    return total + sum_portable(x + i, n - i);
}

CK_AVX2 static double squared_deviations_avx2(const float *x, float center, long n) {
    const __m256 c = _mm256_set1_ps(center);
    double total = 0;
    long i = 0;
    for (; i + 256 <= n; i += 256) {
        __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
        for (long j = i; j < i + 256; j += 16) {
            __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + j), c), d1 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 8), c);
            a = _mm256_fmadd_ps(d0, d0, a);
            b = _mm256_fmadd_ps(d1, d1, b);
        }
        total += ck_horizontal_sum(_mm256_add_ps(a, b));
    }
    return total + squared_deviations_portable(x + i, center, n - i);
}

CK_AVX2_INLINE void sum_and_centered_dot_avx2_body(
    const float *g, const float *mask, const float *x, float center, long n, double *s1, double *s2) {
    const __m256 c = _mm256_set1_ps(center);
    double t1 = 0, t2 = 0;
    long i = 0;
    for (; i + 256 <= n; i += 256) {
        __m256 a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps();
        for (long j = i; j < i + 256; j += 8) {
            __m256 gv = ck_masked_load(g, mask, j);
            a1 = _mm256_add_ps(a1, gv);
            a2 = _mm256_fmadd_ps(gv, _mm256_sub_ps(_mm256_loadu_ps(x + j), c), a2);
        }
        t1 += ck_horizontal_sum(a1);
        t2 += ck_horizontal_sum(a2);
    }
    double r1, r2;
    sum_and_centered_dot_body(g + i, mask ? mask + i : 0, x + i, center, n - i, &r1, &r2);
    *s1 = t1 + r1;
    *s2 = t2 + r2;
}

CK_AVX2 static void sum_and_centered_dot_avx2(const float *g, const float *x, float center, long n, double *s1,
                                              double *s2) {
    sum_and_centered_dot_avx2_body(g, 0, x, center, n, s1, s2);
}

CK_AVX2 static void masked_sum_and_centered_dot_avx2(const float *g, const float *mask, const float *x, float center,
                                                     long n, double *s1, double *s2) {
    sum_and_centered_dot_avx2_body(g, mask, x, center, n, s1, s2);
}

#endif

// MARK: Public entry points

#if CK_X86
#define CK_DISPATCH(name, ...) \
    do { if (CK_USE_AVX2) name##_avx2(__VA_ARGS__); else name##_portable(__VA_ARGS__); } while (0)
#define CK_DISPATCH_RETURN(name, ...) \
    return CK_USE_AVX2 ? name##_avx2(__VA_ARGS__) : name##_portable(__VA_ARGS__)
#else
#define CK_DISPATCH(name, ...) name##_portable(__VA_ARGS__)
#define CK_DISPATCH_RETURN(name, ...) return name##_portable(__VA_ARGS__)
#endif

void ck_relu(const float *x, float *y, long count) { CK_DISPATCH(relu, x, y, count); }

void ck_relu_backward(const float *g, const float *y, float *dx, long count) {
    CK_DISPATCH(relu_backward, g, y, dx, count);
}

void ck_add(const float *a, const float *b, float *out, long count) { CK_DISPATCH(add, a, b, out, count); }

void ck_multiply(const float *a, const float *b, float *out, long count) { CK_DISPATCH(multiply, a, b, out, count); }

void ck_scale(const float *a, float factor, float *out, long count) { CK_DISPATCH(scale, a, factor, out, count); }

void ck_adam(float *theta, const float *g, float *m, float *v, long count, float beta1, float beta2, float l2,
             float stepSize, float inverseSqrtCorrection2, float epsilon) {
    CK_DISPATCH(adam, theta, g, m, v, count, beta1, beta2, l2, stepSize, inverseSqrtCorrection2, epsilon);
}

float ck_bce_logits(const float *x, const float *t, float *sigma, long count) {
    CK_DISPATCH_RETURN(bce, x, t, sigma, count);
}

void ck_scaled_difference(const float *sigma, const float *t, float factor, float *d, long count) {
    CK_DISPATCH(scaled_difference, sigma, t, factor, d, count);
}

void ck_affine(const float *x, float center, float scale, float shift, float *y, long count) {
    CK_DISPATCH(affine, x, center, scale, shift, y, count);
}

void ck_affine_combination(const float *g, const float *x, float dyScale, float xScale, float center, float shift,
                           float *d, long count) {
    CK_DISPATCH(affine_combination, g, x, dyScale, xScale, center, shift, d, count);
}

void ck_affine_relu(const float *x, float center, float scale, float shift, float *y, long count) {
    CK_DISPATCH(affine_relu, x, center, scale, shift, y, count);
}

void ck_masked_affine_combination(const float *g, const float *mask, const float *x, float dyScale, float xScale,
                                  float center, float shift, float *d, long count) {
    CK_DISPATCH(masked_affine_combination, g, mask, x, dyScale, xScale, center, shift, d, count);
}

double ck_sum(const float *x, long count) { CK_DISPATCH_RETURN(sum, x, count); }

double ck_squared_deviations(const float *x, float center, long count) {
    CK_DISPATCH_RETURN(squared_deviations, x, center, count);
}

void ck_sum_and_centered_dot(const float *g, const float *x, float center, long count, double *sum, double *dot) {
    CK_DISPATCH(sum_and_centered_dot, g, x, center, count, sum, dot);
}

void ck_masked_sum_and_centered_dot(const float *g, const float *mask, const float *x, float center, long count,
                                    double *sum, double *dot) {
    CK_DISPATCH(masked_sum_and_centered_dot, g, mask, x, center, count, sum, dot);
}
