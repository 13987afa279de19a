#include "sy/kernels/cpu/vector_math.hpp"

#include <cmath>

#include "pairwise_sum.hpp"
#include "sy/kernels/common/exp.hpp"
#include "sy/kernels/common/ops.hpp"
#include "sy/kernels/cpu/simd_path.hpp"
#include "vector_math_impl.hpp"

namespace sy::kernels::cpu {

void swiglu_rows(const float* gate, const float* up, const float* gate_bias, const float* up_bias, int64_t n,
                 float* out) {
  switch (active_simd_path()) {
    case SimdPath::kAvx512: return detail::swiglu_rows_avx512(gate, up, gate_bias, up_bias, n, out);
    case SimdPath::kAvx2: return detail::swiglu_rows_avx2(gate, up, gate_bias, up_bias, n, out);
    default: break;
  }
  for (int64_t r = 0; r < n; ++r) out[r] = swiglu_oai(gate[r] + gate_bias[r], up[r] + up_bias[r]);
}

float finite_max(const float* x, int64_t n, float init) {
  switch (active_simd_path()) {
    case SimdPath::kAvx512: return detail::finite_max_avx512(x, n, init);
    case SimdPath::kAvx2: return detail::finite_max_avx2(x, n, init);
    default: break;
  }
  float m = init;
  for (int64_t i = 0; i < n; ++i)
    if (std::isfinite(x[i]) && x[i] > m) m = x[i];
  return m;
}

double softmax_weights(const float* x, int64_t n, float max, float inv_t, float* w) {
  switch (active_simd_path()) {
    case SimdPath::kAvx512: return detail::softmax_weights_avx512(x, n, max, inv_t, w);
    case SimdPath::kAvx2: return detail::softmax_weights_avx2(x, n, max, inv_t, w);
    default: break;
  }
  double lanes[16] = {};
  for (int64_t i = 0; i < n; ++i) {
    w[i] = std::isfinite(x[i]) ? exp_nonpositive((x[i] - max) * inv_t) : 0.0f;
    lanes[i % 16] += w[i];
  }
  return detail::reduce16(lanes);
}

}  // namespace sy::kernels::cpu
