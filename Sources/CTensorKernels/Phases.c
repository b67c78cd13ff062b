// Polyphase split and merge of rows: the copies that turn strided and transposed
// convolutions into stride-1 ones (see PhaseGrid in the tensor engine). Stride 2, the
// common case, has AVX2 versions that move 8 values per step with two shuffles.
#include "CTensorKernels.h"
#include "AVX2Support.h"

static void split_row_portable(float *restrict dst, long count, const float *restrict src, long srcCount,
                               long first, long stride) {
    for (long t = 0; t < count; t++) {
        long i = first + stride * t;
        dst[t] = i >= 0 && i < srcCount ? src[i] : 0.0f;
    }
}

static void merge_row_portable(float *restrict dst, long count, const float *const *phases, long stride,
                               long first, long limit, float bias) {
    for (long j = 0; j < count; j++) {
        long u = j + first, t = u / stride;
        dst[j] = (t < limit ? phases[u - t * stride][t] : 0.0f) + bias;
    }
}

#if CK_X86

// Stride 2: the even entries of 16 consecutive values are lanes 0, 2 of each 128-bit half of
// shuffle(a, b), put in order by a 64-bit permute.
CK_AVX2 static void split_row2_avx2(float *restrict dst, long count, const float *restrict src, long srcCount,
                                    long first) {
    long t = 0;
    for (; t < count && first + 2 * t < 0; t++) dst[t] = 0.0f;
    for (; t + 8 <= count && first + 2 * t + 16 <= srcCount; t += 8) {
        const float *s = src + first + 2 * t;
        __m256 even = _mm256_shuffle_ps(_mm256_loadu_ps(s), _mm256_loadu_ps(s + 8), _MM_SHUFFLE(2, 0, 2, 0));
        _mm256_storeu_ps(dst + t, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), 0xD8)));
    }
    split_row_portable(dst + t, count - t, src, srcCount, first + 2 * t, 2);
}

// Stride 2: interleave 8 values of each phase into 16 by unpack and a 128-bit permute.
CK_AVX2 static void merge_row2_avx2(float *restrict dst, long count, const float *const *phases, long first,
                                    long limit, float bias) {
    long j = 0;
    if (count > 0 && first % 2 == 1) {  // starts on phase 1
        dst[0] = (first / 2 < limit ? phases[1][first / 2] : 0.0f) + bias;
        j = 1;
    }
    const float *p0 = phases[0], *p1 = phases[1];
    __m256 b = _mm256_set1_ps(bias);
    for (; j + 16 <= count && (j + first) / 2 + 8 <= limit; j += 16) {
        long t = (j + first) / 2;
        __m256 e = _mm256_add_ps(_mm256_loadu_ps(p0 + t), b), o = _mm256_add_ps(_mm256_loadu_ps(p1 + t), b);
        __m256 lo = _mm256_unpacklo_ps(e, o), hi = _mm256_unpackhi_ps(e, o);
        _mm256_storeu_ps(dst + j, _mm256_permute2f128_ps(lo, hi, 0x20));
        _mm256_storeu_ps(dst + j + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
    merge_row_portable(dst + j, count - j, phases, 2, first + j, limit, bias);
}

#endif

void ck_phase_split_row(float *dst, long count, const float *src, long srcCount, long first, long stride) {
#if CK_X86
    if (stride == 2 && ck_simd_level() == CK_SIMD_AVX2_FMA) {
        split_row2_avx2(dst, count, src, srcCount, first);
        return;
    }
#endif
    split_row_portable(dst, count, src, srcCount, first, stride);
}

void ck_phase_merge_row(float *dst, long count, const float *const *phases, long stride, long first, long limit,
                        float bias) {
#if CK_X86
    if (stride == 2 && ck_simd_level() == CK_SIMD_AVX2_FMA) {
        merge_row2_avx2(dst, count, phases, first, limit, bias);
        return;
    }
#endif
    merge_row_portable(dst, count, phases, stride, first, limit, bias);
}
