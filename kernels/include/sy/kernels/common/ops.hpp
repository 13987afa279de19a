#pragma once
// Per-element math of the gpt-oss forward pass, shared by CPU and CUDA.
#include <cmath>

#include "sy/kernels/common/exp.hpp"
#include "sy/kernels/common/hd.hpp"

namespace sy::kernels {

constexpr float kSwigluAlpha = 1.702f;
constexpr float kSwigluLimit = 7.0f;

// SwiGLU-OAI: gate clamped from above only, up clamped both sides, +1 on up:
// g * sigmoid(alpha g) * (u + 1). The sigmoid comes from z = exp(-alpha |g|),
// inside exp_nonpositive's range, as 1 / (1 + z) or z / (1 + z); the SIMD
// versions (kernels/cpu/vector_math*.cpp) do these operations lane by lane.
SY_HD float swiglu_oai(float gate, float up) {
  const float g = gate < kSwigluLimit ? gate : kSwigluLimit;
  float u = up < kSwigluLimit ? up : kSwigluLimit;
  u = u > -kSwigluLimit ? u : -kSwigluLimit;
  const float z = exp_nonpositive(-kSwigluAlpha * fabsf(g));
  const float d = 1.0f + z;
  const float s = g >= 0.0f ? 1.0f / d : z / d;
  return g * s * (u + 1.0f);
}

// Softmax with a learned sink (an extra logit with zero value): returns the
// normaliser 1/D where D = sum(exp(s - m)) + exp(sink - m); callers pass the max m
// over scores and sink. Kept separate so online-softmax kernels can use the pieces.
SY_HD float sink_term(float sink, float m) { return expf(sink - m); }

// One step of an online softmax: fold score s into running (max m, sum l) and
// return the factor by which the running output must be rescaled.
SY_HD float online_softmax_update(float s, float& m, float& l, float& p) {
  const float m_new = s > m ? s : m;
  const float scale = expf(m - m_new);
  p = expf(s - m_new);
  l = l * scale + p;
  m = m_new;
  return scale;
}

}  // namespace sy::kernels
