#include "sy/kernels/cpu/dot.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sy::kernels::cpu {

bool has_avx2() {
#if defined(__x86_64__)
  static const bool kHas = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  return kHas;
#else
  return false;
#endif
}

#if defined(__x86_64__)
namespace {

// Exact conversions (F16 -> F32, q * d with q and d exact in float), so the
// SIMD versions give the scalar loops' results.
__attribute__((target("avx2,fma,f16c"))) void dequantize_f16_avx2(const uint16_t* p, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))));
  for (; i < n; ++i) out[i] = fp16_to_f32(p[i]);
}

__attribute__((target("avx2,fma,f16c"))) void dequantize_q8_0_avx2(const BlockQ8_0* b, float* out, int64_t blocks) {
  for (int64_t i = 0; i < blocks; ++i) {
    const __m256 d = _mm256_set1_ps(fp16_to_f32(b[i].d));
    for (int k = 0; k < kQK; k += 8) {
      const __m256i q = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b[i].qs + k)));
      _mm256_storeu_ps(out + i * kQK + k, _mm256_mul_ps(d, _mm256_cvtepi32_ps(q)));
    }
  }
}

}  // namespace
#endif

void dequantize_row(WType type, const void* row, float* out, int64_t n) {
#if defined(__x86_64__)
  if (type == WType::kF16 && has_avx2()) return dequantize_f16_avx2(static_cast<const uint16_t*>(row), out, n);
  if (type == WType::kQ8_0 && has_avx2())
    return dequantize_q8_0_avx2(static_cast<const BlockQ8_0*>(row), out, n / kQK);
#endif
  switch (type) {
    case WType::kF32: {
      const float* p = static_cast<const float*>(row);
      for (int64_t i = 0; i < n; ++i) out[i] = p[i];
      return;
    }
    case WType::kF16: {
      const uint16_t* p = static_cast<const uint16_t*>(row);
      for (int64_t i = 0; i < n; ++i) out[i] = fp16_to_f32(p[i]);
      return;
    }
    case WType::kBF16: {
      const uint16_t* p = static_cast<const uint16_t*>(row);
      for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(p[i]);
      return;
    }
    case WType::kQ8_0: {
      const BlockQ8_0* b = static_cast<const BlockQ8_0*>(row);
      for (int64_t i = 0; i < n / kQK; ++i) dequantize_block_q8_0(b[i], out + i * kQK);
      return;
    }
    case WType::kMXFP4: {
      const BlockMxfp4* b = static_cast<const BlockMxfp4*>(row);
      for (int64_t i = 0; i < n / kQK; ++i) dequantize_block_mxfp4(b[i], out + i * kQK);
      return;
    }
  }
}

float dot_f32_portable(const float* a, const float* b, int64_t n) {
  float acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) acc[0] += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

#if defined(__x86_64__)
namespace {

__attribute__((target("avx2,fma,f16c"))) inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma,f16c"))) float dot_f32_avx2(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace
#endif

float dot_f32(const float* a, const float* b, int64_t n) {
#if defined(__x86_64__)
  if (has_avx2()) return dot_f32_avx2(a, b, n);
#endif
  return dot_f32_portable(a, b, n);
}

}  // namespace sy::kernels::cpu
