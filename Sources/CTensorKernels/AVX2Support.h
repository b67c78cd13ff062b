// What the kernels' AVX2 + FMA versions share (internal to CTensorKernels, not a public header):
// whether the target is x86-64, the attributes that compile one function for AVX2 + FMA
// (source-level, so the package needs no compiler flags), and helpers.
#ifndef CK_AVX2_SUPPORT_H
#define CK_AVX2_SUPPORT_H

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_X86 1
/// Compiles a function for AVX2 + FMA (call it only when `ck_simd_level()` says so).
#define CK_AVX2 __attribute__((target("avx2,fma")))
/// A helper inlined into its AVX2 + FMA callers.
#define CK_AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

/// The sum of the eight lanes of `v`.
CK_AVX2_INLINE float ck_horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#else
#define CK_X86 0
#endif

#endif
