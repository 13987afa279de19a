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

void dequantize_row(WType type, const void* row, float* out, int64_t n) {
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

void quantize_row_q8_0(const float* x, BlockQ8_0* out, int64_t n) {
  for (int64_t i = 0; i < n / kQK; ++i) quantize_block_q8_0(x + i * kQK, out[i]);
}

float dot_f32_portable(const float* a, const float* b, int64_t n) {
  float acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) acc[0] += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

float dot_q8_0_q8_0_portable(const BlockQ8_0* w, const BlockQ8_0* x, int64_t n_blocks) {
  float sum = 0.0f;
  for (int64_t b = 0; b < n_blocks; ++b) {
    int32_t s = 0;
    for (int j = 0; j < kQK; ++j) s += static_cast<int32_t>(w[b].qs[j]) * x[b].qs[j];
    sum += static_cast<float>(s) * (fp16_to_f32(w[b].d) * fp16_to_f32(x[b].d));
  }
  return sum;
}

float dot_mxfp4_q8_0_portable(const BlockMxfp4* w, const BlockQ8_0* x, int64_t n_blocks) {
  float sum = 0.0f;
  for (int64_t b = 0; b < n_blocks; ++b) {
    int32_t lo = 0, hi = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      lo += fp4_value(w[b].qs[j] & 15) * x[b].qs[j];
      hi += fp4_value(w[b].qs[j] >> 4) * x[b].qs[j + kQK / 2];
    }
    sum += static_cast<float>(lo + hi) * (e8m0_to_f32_half(w[b].e) * fp16_to_f32(x[b].d));
  }
  return sum;
}

#if defined(__x86_64__)
namespace {

__attribute__((target("avx2,fma,f16c"))) inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Signed int8 x int8 products summed in pairs then quads, as 8 floats.
__attribute__((target("avx2,fma,f16c"))) inline __m256 mul_sum_i8(__m256i a, __m256i b) {
  const __m256i ax = _mm256_sign_epi8(a, a);
  const __m256i sy = _mm256_sign_epi8(b, a);
  const __m256i dot = _mm256_maddubs_epi16(ax, sy);
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(dot, _mm256_set1_epi16(1)));
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

// Scale tables / hardware conversions: the scalar bit-twiddling versions cost
// more than the int8 block dot itself.
struct E8m0Table {
  float v[256];
  E8m0Table() {
    for (int e = 0; e < 256; ++e) v[e] = e8m0_to_f32_half(static_cast<uint8_t>(e));
  }
};
const E8m0Table kE8m0;

__attribute__((target("avx2,fma,f16c"))) inline float h2f(uint16_t h) { return _cvtsh_ss(h); }

__attribute__((target("avx2,fma,f16c"))) float dot_q8_0_avx2(const BlockQ8_0* w, const BlockQ8_0* x, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const __m256 d = _mm256_set1_ps(h2f(w[b].d) * h2f(x[b].d));
    const __m256i qw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    const __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    acc = _mm256_fmadd_ps(d, mul_sum_i8(qw, qx), acc);
  }
  return hsum(acc);
}

// 32 int8 weights of one block: low nibbles -> elements 0..15, high -> 16..31.
__attribute__((target("avx2,fma,f16c"))) inline __m256i expand_fp4(const BlockMxfp4& blk, __m128i values, __m128i m4) {
  const __m128i bits = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.qs));
  const __m128i lo = _mm_shuffle_epi8(values, _mm_and_si128(bits, m4));
  const __m128i hi = _mm_shuffle_epi8(values, _mm_and_si128(_mm_srli_epi16(bits, 4), m4));
  return _mm256_set_m128i(hi, lo);
}

// Two blocks per iteration with two accumulators, as ggml's AVX2 kernel does.
__attribute__((target("avx2,fma,f16c"))) float dot_mxfp4_avx2(const BlockMxfp4* w, const BlockQ8_0* x, int64_t nb) {
  static const int8_t kTable[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
  const __m128i values = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kTable));
  const __m128i m4 = _mm_set1_epi8(0x0F);
  __m256 acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 1 < nb; b += 2) {
    const __m256 p1 = mul_sum_i8(expand_fp4(w[b], values, m4), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs)));
    const __m256 p2 = mul_sum_i8(expand_fp4(w[b + 1], values, m4), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b + 1].qs)));
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[b].d) * kE8m0.v[w[b].e]), p1, acc1);
    acc2 = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[b + 1].d) * kE8m0.v[w[b + 1].e]), p2, acc2);
  }
  float sum = hsum(_mm256_add_ps(acc1, acc2));
  if (b < nb) sum += dot_mxfp4_q8_0_portable(w + b, x + b, nb - b);
  return sum;
}

__attribute__((target("avx2,fma,f16c"))) void dot_q8_0_x4_avx2(const BlockQ8_0* w, const BlockQ8_0* x, int64_t xs,
                                                                 int64_t nb, float* out) {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int64_t b = 0; b < nb; ++b) {
    const float dw = h2f(w[b].d);
    const __m256i qw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    for (int i = 0; i < 4; ++i) {
      const BlockQ8_0& xb = x[i * xs + b];
      const __m256 d = _mm256_set1_ps(dw * h2f(xb.d));
      acc[i] = _mm256_fmadd_ps(d, mul_sum_i8(qw, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.qs))), acc[i]);
    }
  }
  for (int i = 0; i < 4; ++i) out[i] = hsum(acc[i]);
}

__attribute__((target("avx2,fma,f16c"))) void dot_mxfp4_x4_avx2(const BlockMxfp4* w, const BlockQ8_0* x, int64_t xs,
                                                                  int64_t nb, float* out) {
  static const int8_t kTable[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
  const __m128i values = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kTable));
  const __m128i m4 = _mm_set1_epi8(0x0F);
  __m256 acc1[4], acc2[4];
  for (int i = 0; i < 4; ++i) acc1[i] = acc2[i] = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 1 < nb; b += 2) {
    const __m256i w1 = expand_fp4(w[b], values, m4), w2 = expand_fp4(w[b + 1], values, m4);
    const float s1 = kE8m0.v[w[b].e], s2 = kE8m0.v[w[b + 1].e];
    for (int i = 0; i < 4; ++i) {
      const BlockQ8_0* xi = x + i * xs;
      const __m256 p1 = mul_sum_i8(w1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xi[b].qs)));
      const __m256 p2 = mul_sum_i8(w2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xi[b + 1].qs)));
      acc1[i] = _mm256_fmadd_ps(_mm256_set1_ps(h2f(xi[b].d) * s1), p1, acc1[i]);
      acc2[i] = _mm256_fmadd_ps(_mm256_set1_ps(h2f(xi[b + 1].d) * s2), p2, acc2[i]);
    }
  }
  for (int i = 0; i < 4; ++i) {
    out[i] = hsum(_mm256_add_ps(acc1[i], acc2[i]));
    if (b < nb) out[i] += dot_mxfp4_q8_0_portable(w + b, x + i * xs + b, nb - b);
  }
}

}  // namespace
#endif

void dot_q8_0_q8_0_x4(const BlockQ8_0* w, const BlockQ8_0* x, int64_t x_stride, int64_t n_blocks, float* out) {
#if defined(__x86_64__)
  if (has_avx2()) return dot_q8_0_x4_avx2(w, x, x_stride, n_blocks, out);
#endif
  for (int i = 0; i < 4; ++i) out[i] = dot_q8_0_q8_0_portable(w, x + i * x_stride, n_blocks);
}

void dot_mxfp4_q8_0_x4(const BlockMxfp4* w, const BlockQ8_0* x, int64_t x_stride, int64_t n_blocks, float* out) {
#if defined(__x86_64__)
  if (has_avx2()) return dot_mxfp4_x4_avx2(w, x, x_stride, n_blocks, out);
#endif
  for (int i = 0; i < 4; ++i) out[i] = dot_mxfp4_q8_0_portable(w, x + i * x_stride, n_blocks);
}

float dot_f32(const float* a, const float* b, int64_t n) {
#if defined(__x86_64__)
  if (has_avx2()) return dot_f32_avx2(a, b, n);
#endif
  return dot_f32_portable(a, b, n);
}

float dot_q8_0_q8_0(const BlockQ8_0* w, const BlockQ8_0* x, int64_t n_blocks) {
#if defined(__x86_64__)
  if (has_avx2()) return dot_q8_0_avx2(w, x, n_blocks);
#endif
  return dot_q8_0_q8_0_portable(w, x, n_blocks);
}

float dot_mxfp4_q8_0(const BlockMxfp4* w, const BlockQ8_0* x, int64_t n_blocks) {
#if defined(__x86_64__)
  if (has_avx2()) return dot_mxfp4_avx2(w, x, n_blocks);
#endif
  return dot_mxfp4_q8_0_portable(w, x, n_blocks);
}

}  // namespace sy::kernels::cpu
