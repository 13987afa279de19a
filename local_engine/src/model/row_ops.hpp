#pragma once
// Per-row helpers of the forward pass, shared by the attention and MoE blocks.
#include <cmath>
#include <cstddef>

namespace sy::local_engine::model {

// ggml rms_norm (sum of float squares accumulated in double) followed by ggml_mul.
inline void rms_norm(const float* x, const float* w, float* out, int n, float eps) {
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const float mean = static_cast<float>(sum / n);
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int i = 0; i < n; ++i) out[i] = (x[i] * scale) * w[i];
}

inline void add_bias(float* y, const float* b, int n_tokens, int n) {
  for (int t = 0; t < n_tokens; ++t)
    for (int i = 0; i < n; ++i) y[static_cast<size_t>(t) * n + i] += b[i];
}

}  // namespace sy::local_engine::model
