// attention_heads: the portable path, which defines the arithmetic, and the
// choice between it and the SIMD paths (simd_path.hpp).
#include "sy/kernels/cpu/attention.hpp"

#include <algorithm>
#include <cmath>

#include "attention_impl.hpp"
#include "pairwise_sum.hpp"
#include "sy/kernels/common/exp.hpp"
#include "sy/kernels/cpu/simd_path.hpp"
#include "sy/kernels/cpu/vector_math.hpp"

namespace sy::kernels::cpu {

namespace {

using detail::reduce16;

float dot_portable(const float* q, const float* k, int D) {
  float lanes[16] = {};
  for (int c = 0; c < D; c += 16)
    for (int l = 0; l < 16 && c + l < D; ++l) lanes[l] = std::fma(q[c + l], k[c + l], lanes[l]);
  return reduce16(lanes);
}

void heads_portable(const float* q, int G, const float* const* k_rows, const float* const* v_rows, int64_t offset,
                    int n, int D, float scale, const float* sinks, float* scores, float* out) {
  for (int g = 0; g < G; ++g) {
    float* s = scores + static_cast<int64_t>(g) * n;
    for (int j = 0; j < n; ++j) s[j] = dot_portable(q + g * D, k_rows[j] + offset, D) * scale;
    const float inv = detail::softmax_with_sink(s, n, sinks[g]);
    float* o = out + g * D;
    std::fill(o, o + D, 0.0f);
    for (int j = 0; j < n; ++j) {
      const float p = s[j] * inv;
      const float* v = v_rows[j] + offset;
      for (int d = 0; d < D; ++d) o[d] = std::fma(p, v[d], o[d]);
    }
  }
}

}  // namespace

// Scaling by 1 leaves s - m exact, so these are exp_nonpositive(s - m).
float detail::softmax_with_sink(float* scores, int n, float sink) {
  const float m = finite_max(scores, n, sink);
  const double sum = softmax_weights(scores, n, m, 1.0f, scores);
  return static_cast<float>(1.0 / (sum + exp_nonpositive(sink - m)));
}

void attention_heads(const float* q, int G, const float* const* k_rows, const float* const* v_rows, int64_t offset,
                     int n, int D, float scale, const float* sinks, float* scores, float* out) {
  const SimdPath path = active_simd_path();
  if (path == SimdPath::kAvx512 &&
      detail::attention_heads_avx512(q, G, k_rows, v_rows, offset, n, D, scale, sinks, scores, out))
    return;
  if (path == SimdPath::kAvx2 &&
      detail::attention_heads_avx2(q, G, k_rows, v_rows, offset, n, D, scale, sinks, scores, out))
    return;
  heads_portable(q, G, k_rows, v_rows, offset, n, D, scale, sinks, scores, out);
}

}  // namespace sy::kernels::cpu
