#pragma once
// YaRN rotary angles in llama.cpp's form (ggml_rope_yarn + corr dims with
// floor/ceil, or the unrounded reference form), shared by CPU and CUDA.
#include <cmath>

#include "sy/kernels/common/hd.hpp"

namespace sy::kernels {

struct RopeParams {
  int n_dims = 64;            // rotated dims (head_dim); NeoX pairs (i, i + n_dims/2)
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;    // 1/factor
  float ext_factor = 0.0f;    // 1 for YaRN
  float attn_factor = 1.0f;   // multiplies mscale
  float corr_low = 0.0f;      // YaRN correction range in pair units
  float corr_high = 0.0f;
};

// Dimension (in rotated-dim units, not pairs) whose wavelength is n_ctx_orig/(2π·n_rot).
inline float rope_yarn_corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base) {
  return n_dims * logf(static_cast<float>(n_ctx_orig) / (n_rot * 2.0f * 3.14159265358979323846f)) / (2.0f * logf(base));
}

// Fills low/high like ggml_rope_yarn_corr_dims (rounded = true) or unrounded (truncate=false refs).
inline void rope_yarn_corr_dims(int n_dims, int n_ctx_orig, float base, float beta_fast, float beta_slow, bool rounded,
                                float& low, float& high) {
  float lo = rope_yarn_corr_dim(n_dims, n_ctx_orig, beta_fast, base);
  float hi = rope_yarn_corr_dim(n_dims, n_ctx_orig, beta_slow, base);
  if (rounded) {
    lo = floorf(lo);
    hi = ceilf(hi);
  }
  low = lo > 0.0f ? lo : 0.0f;
  high = hi < static_cast<float>(n_dims - 1) ? hi : static_cast<float>(n_dims - 1);
}

SY_HD float rope_yarn_ramp(float low, float high, int i0) {
  const float y = (static_cast<float>(i0 / 2) - low) / fmaxf(0.001f, high - low);
  return 1.0f - fminf(1.0f, fmaxf(0.0f, y));
}

// cos/sin of pair i given its unscaled angle, magnitude included (ggml rope_yarn).
SY_HD void rope_yarn(const RopeParams& p, float theta_extrap, int i, float& c, float& s) {
  const float theta_interp = p.freq_scale * theta_extrap;
  float theta = theta_interp;
  float mscale = p.attn_factor;
  if (p.ext_factor != 0.0f) {
    const float ramp_mix = rope_yarn_ramp(p.corr_low, p.corr_high, 2 * i) * p.ext_factor;
    theta = theta_interp * (1.0f - ramp_mix) + theta_extrap * ramp_mix;
    mscale *= 1.0f + 0.1f * logf(1.0f / p.freq_scale);
  }
  c = cosf(theta) * mscale;
  s = sinf(theta) * mscale;
}

// cos/sin for all n_dims/2 pairs at `pos`; the angle is built by repeated
// multiplication like ggml's rope cache so results match it bit for bit.
SY_HD void rope_yarn_cache(const RopeParams& p, int pos, float* cos_v, float* sin_v) {
  const float theta_scale = powf(p.freq_base, -2.0f / static_cast<float>(p.n_dims));
  float theta = static_cast<float>(pos);
  for (int i = 0; i < p.n_dims / 2; ++i) {
    rope_yarn(p, theta, i, cos_v[i], sin_v[i]);
    theta *= theta_scale;
  }
}

// NeoX rotation of one head vector in place with precomputed cos/sin per pair.
SY_HD void rope_neox_apply(float* x, int n_dims, const float* cos_v, const float* sin_v) {
  const int half = n_dims / 2;
  for (int i = 0; i < half; ++i) {
    const float a = x[i], b = x[i + half];
    x[i] = a * cos_v[i] - b * sin_v[i];
    x[i + half] = b * cos_v[i] + a * sin_v[i];
  }
}

}  // namespace sy::kernels
