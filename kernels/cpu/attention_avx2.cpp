// AVX2 path of attention_heads (arithmetic: sy/kernels/cpu/attention.hpp),
// for CPUs without AVX-512. The 16 dot-product lanes are two 8-lane vectors
// (lanes 0-7 and 8-15), so their first pairwise step is one add; positions
// go 8 at a time through a transposed reduction, as in the AVX-512 path.
#include <immintrin.h>

#include <algorithm>

#include "attention_impl.hpp"
#include "simd_lanes.hpp"

namespace sy::kernels::cpu::detail {

namespace {

// Lane p of the result = the reduce16 of position p, given h8[p] = its lanes
// 0-7 plus lanes 8-15.
SY_AVX2 inline __m256 transpose_reduce8(const __m256* h8) {
  __m256 h4[4], h2[2];
  for (int a = 0; a < 4; ++a)  // positions 2a (lanes 0-3) and 2a + 1 (4-7)
    h4[a] = _mm256_add_ps(_mm256_permute2f128_ps(h8[2 * a], h8[2 * a + 1], 0x20),
                          _mm256_permute2f128_ps(h8[2 * a], h8[2 * a + 1], 0x31));
  for (int b = 0; b < 2; ++b)  // 128-bit lane 0: positions 4b, 4b + 2; lane 1: 4b + 1, 4b + 3
    h2[b] = _mm256_add_ps(_mm256_shuffle_ps(h4[2 * b], h4[2 * b + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                          _mm256_shuffle_ps(h4[2 * b], h4[2 * b + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  // 128-bit lane 0: positions 0, 2, 4, 6; lane 1: 1, 3, 5, 7.
  const __m256 r = _mm256_add_ps(_mm256_shuffle_ps(h2[0], h2[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm256_shuffle_ps(h2[0], h2[1], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm256_permutevar8x32_ps(r, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

template <int C>  // D = 16 * C
SY_AVX2 void scores_avx2(const float* q, int G, const float* const* k_rows, int64_t offset, int n, float scale,
                         float* scores) {
  const __m256 vscale = _mm256_set1_ps(scale);
  for (int j0 = 0; j0 < n; j0 += 8) {
    const int count = std::min(8, n - j0);
    for (int p = 8; p < 16 && j0 + p < n; ++p)
      for (int c = 0; c < C; ++c) _mm_prefetch(reinterpret_cast<const char*>(k_rows[j0 + p] + offset + 16 * c), _MM_HINT_T0);
    for (int g = 0; g < G; ++g) {
      const float* qg = q + g * 16 * C;
      __m256 h8[8];
      for (int p = 0; p < 8; ++p) {
        __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
        if (p < count) {
          const float* k = k_rows[j0 + p] + offset;
          for (int c = 0; c < C; ++c) {
            lo = _mm256_fmadd_ps(_mm256_loadu_ps(qg + 16 * c), _mm256_loadu_ps(k + 16 * c), lo);
            hi = _mm256_fmadd_ps(_mm256_loadu_ps(qg + 16 * c + 8), _mm256_loadu_ps(k + 16 * c + 8), hi);
          }
        }
        h8[p] = _mm256_add_ps(lo, hi);
      }
      _mm256_maskstore_ps(scores + static_cast<int64_t>(g) * n + j0, tail_mask8(count),
                          _mm256_mul_ps(transpose_reduce8(h8), vscale));
    }
  }
}

// Columns [16 c, 16 c + 16) of out_g = Σ_j (s_gj * inv_g) v_j for NG heads.
template <int NG>
SY_AVX2 void values_avx2(const float* s, int n, const float* inv, const float* const* v_rows, int64_t offset, int c,
                         int D, float* out) {
  __m256 acc[NG][2];
  for (int g = 0; g < NG; ++g) acc[g][0] = acc[g][1] = _mm256_setzero_ps();
  for (int j = 0; j < n; ++j) {
    if (j + 16 < n) _mm_prefetch(reinterpret_cast<const char*>(v_rows[j + 16] + offset + 16 * c), _MM_HINT_T0);
    const float* v = v_rows[j] + offset + 16 * c;
    const __m256 v0 = _mm256_loadu_ps(v), v1 = _mm256_loadu_ps(v + 8);
    for (int g = 0; g < NG; ++g) {
      const __m256 p = _mm256_set1_ps(s[static_cast<int64_t>(g) * n + j] * inv[g]);
      acc[g][0] = _mm256_fmadd_ps(p, v0, acc[g][0]);
      acc[g][1] = _mm256_fmadd_ps(p, v1, acc[g][1]);
    }
  }
  for (int g = 0; g < NG; ++g) {
    _mm256_storeu_ps(out + g * D + 16 * c, acc[g][0]);
    _mm256_storeu_ps(out + g * D + 16 * c + 8, acc[g][1]);
  }
}

template <int C>
SY_AVX2 void heads_avx2(const float* q, int G, const float* const* k_rows, const float* const* v_rows, int64_t offset,
                        int n, float scale, const float* sinks, float* scores, float* out) {
  scores_avx2<C>(q, G, k_rows, offset, n, scale, scores);
  float inv[64];  // G <= 64 (checked by the caller)
  for (int g = 0; g < G; ++g) inv[g] = softmax_with_sink(scores + static_cast<int64_t>(g) * n, n, sinks[g]);
  // 6 heads x 2 vectors of accumulators, one value row's 2 vectors and p fit the 16 registers.
  for (int g = 0; g < G; g += 6)
    for (int c = 0; c < C; ++c) {
      const float* s = scores + static_cast<int64_t>(g) * n;
      float* o = out + g * 16 * C;
      switch (std::min(6, G - g)) {
        case 1: values_avx2<1>(s, n, inv + g, v_rows, offset, c, 16 * C, o); break;
        case 2: values_avx2<2>(s, n, inv + g, v_rows, offset, c, 16 * C, o); break;
        case 3: values_avx2<3>(s, n, inv + g, v_rows, offset, c, 16 * C, o); break;
        case 4: values_avx2<4>(s, n, inv + g, v_rows, offset, c, 16 * C, o); break;
        case 5: values_avx2<5>(s, n, inv + g, v_rows, offset, c, 16 * C, o); break;
        default: values_avx2<6>(s, n, inv + g, v_rows, offset, c, 16 * C, o); break;
      }
    }
}

}  // namespace

SY_AVX2 bool attention_heads_avx2(const float* q, int G, const float* const* k_rows, const float* const* v_rows,
                                  int64_t offset, int n, int D, float scale, const float* sinks, float* scores,
                                  float* out) {
  if (G > 64) return false;
  switch (D) {
    case 64: heads_avx2<4>(q, G, k_rows, v_rows, offset, n, scale, sinks, scores, out); return true;
    case 128: heads_avx2<8>(q, G, k_rows, v_rows, offset, n, scale, sinks, scores, out); return true;
    case 32: heads_avx2<2>(q, G, k_rows, v_rows, offset, n, scale, sinks, scores, out); return true;
    case 16: heads_avx2<1>(q, G, k_rows, v_rows, offset, n, scale, sinks, scores, out); return true;
    default: return false;
  }
}

}  // namespace sy::kernels::cpu::detail
