// BatchNorm followed by ReLU in one pass each way (y = max(0, BN(x))): the forward map and the
// two backward passes of BatchNorm with the ReLU's mask (y > 0) applied to the incoming
// gradient on the fly, so that neither the ReLU's output nor its gradient is written out.
// Portable versions and AVX2 + FMA versions, chosen like the other kernels (`ck_simd_level`).
#include "CTensorKernels.h"
#include "AVX2Support.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define NR_X86 1
#define NR_AVX2 __attribute__((target("avx2,fma")))
#else
#define NR_X86 0
#endif

static void affine_relu_portable(const float *x, float center, float scale, float shift, float *y, long n) {
    for (long i = 0; i < n; i++) {
        float v = scale * (x[i] - center) + shift;
        y[i] = v > 0 ? v : 0;
    }
}

static void masked_affine_combination_portable(const float *g, const float *mask, const float *x, float k, float s,
                                               float center, float shift, float *d, long n) {
    for (long i = 0; i < n; i++) d[i] = k * (mask[i] > 0 ? g[i] : 0) + s * (x[i] - center) + shift;
}

// Σ g·[mask > 0] and Σ g·[mask > 0]·(x − center): eight float lanes over blocks of 256, each
// block's total added in double (as `ck_sum_and_centered_dot`).
static void masked_sum_and_centered_dot_portable(const float *g, const float *mask, const float *x, float center,
                                                 long n, double *s1, double *s2) {
    double t1 = 0, t2 = 0;
    long i = 0;
    for (; i + 256 <= n; i += 256) {
        float a1[8] = {0}, a2[8] = {0};
        for (long j = i; j < i + 256; j += 8)
            for (int k = 0; k < 8; k++) {
                float gv = mask[j + k] > 0 ? g[j + k] : 0;
                a1[k] += gv;
                a2[k] += gv * (x[j + k] - center);
            }
        float b1 = 0, b2 = 0;
        for (int k = 0; k < 8; k++) { b1 += a1[k]; b2 += a2[k]; }
        t1 += b1;
        t2 += b2;
    }
    for (; i < n; i++) {
        float gv = mask[i] > 0 ? g[i] : 0;
        t1 += gv;
        t2 += (double)(gv * (x[i] - center));
    }
    *s1 = t1;
    *s2 = t2;
}

#if NR_X86

// g where mask > 0, else 0.
NR_AVX2 static inline __m256 nr_masked(__m256 g, __m256 mask) {
    return _mm256_and_ps(g, _mm256_cmp_ps(mask, _mm256_setzero_ps(), _CMP_GT_OQ));
}

NR_AVX2 static void affine_relu_avx2(const float *x, float center, float scale, float shift, float *y, long n) {
    const __m256 c = _mm256_set1_ps(center), a = _mm256_set1_ps(scale), b = _mm256_set1_ps(shift);
    const __m256 zero = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_max_ps(_mm256_fmadd_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), c), a, b), zero));
    affine_relu_portable(x + i, center, scale, shift, y + i, n - i);
}

NR_AVX2 static void masked_affine_combination_avx2(const float *g, const float *mask, const float *x, float k,
                                                   float s, float center, float shift, float *d, long n) {
    const __m256 kv = _mm256_set1_ps(k), sv = _mm256_set1_ps(s);
    const __m256 cv = _mm256_set1_ps(center), shiftv = _mm256_set1_ps(shift);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gv = nr_masked(_mm256_loadu_ps(g + i), _mm256_loadu_ps(mask + i));
        __m256 centered = _mm256_sub_ps(_mm256_loadu_ps(x + i), cv);
        _mm256_storeu_ps(d + i, _mm256_fmadd_ps(kv, gv, _mm256_fmadd_ps(sv, centered, shiftv)));
    }
    masked_affine_combination_portable(g + i, mask + i, x + i, k, s, center, shift, d + i, n - i);
}

NR_AVX2 static void masked_sum_and_centered_dot_avx2(const float *g, const float *mask, const float *x, float center,
                                                     long n, double *s1, double *s2) {
    const __m256 c = _mm256_set1_ps(center);
    double t1 = 0, t2 = 0;
    long i = 0;
    for (; i + 256 <= n; i += 256) {
        __m256 a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps();
        for (long j = i; j < i + 256; j += 8) {
            __m256 gv = nr_masked(_mm256_loadu_ps(g + j), _mm256_loadu_ps(mask + j));
            a1 = _mm256_add_ps(a1, gv);
            a2 = _mm256_fmadd_ps(gv, _mm256_sub_ps(_mm256_loadu_ps(x + j), c), a2);
        }
        t1 += ck_horizontal_sum(a1);
        t2 += ck_horizontal_sum(a2);
    }
    double r1, r2;
    masked_sum_and_centered_dot_portable(g + i, mask + i, x + i, center, n - i, &r1, &r2);
    *s1 = t1 + r1;
    *s2 = t2 + r2;
}

#define NR_DISPATCH(name, ...) \
    do { if (ck_simd_level() == CK_SIMD_AVX2_FMA) name##_avx2(__VA_ARGS__); else name##_portable(__VA_ARGS__); } while (0)
#else
#define NR_DISPATCH(name, ...) name##_portable(__VA_ARGS__)
#endif

void ck_affine_relu(const float *x, float center, float scale, float shift, float *y, long count) {
    NR_DISPATCH(affine_relu, x, center, scale, shift, y, count);
}

void ck_masked_affine_combination(const float *g, const float *mask, const float *x, float dyScale, float xScale,
                                  float center, float shift, float *d, long count) {
    NR_DISPATCH(masked_affine_combination, g, mask, x, dyScale, xScale, center, shift, d, count);
}

void ck_masked_sum_and_centered_dot(const float *g, const float *mask, const float *x, float center, long count,
                                    double *sum, double *dot) {
    NR_DISPATCH(masked_sum_and_centered_dot, g, mask, x, center, count, sum, dot);
}
