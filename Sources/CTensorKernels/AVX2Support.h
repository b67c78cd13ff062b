// What the kernels' AVX2 + FMA versions share (internal to CTensorKernels, not a public header).
#ifndef CK_AVX2_SUPPORT_H
#define CK_AVX2_SUPPORT_H

#if defined(__x86_64__)
#include <immintrin.h>

/// The sum of the eight lanes of `v`.
static inline __attribute__((always_inline, target("avx2,fma"))) float ck_horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#endif

#endif
