#pragma once
// Element-wise passes of the forward step and the sampler over whole rows,
// on the SIMD path of simd_path.hpp. Each path performs the scalar
// definitions' operations (kernels/common) lane by lane: results do not
// depend on the CPU.
#include <cstdint>

namespace sy::kernels::cpu {

// out[r] = swiglu_oai(gate[r] + gate_bias[r], up[r] + up_bias[r]), r < n.
void swiglu_rows(const float* gate, const float* up, const float* gate_bias, const float* up_bias, int64_t n,
                 float* out);

// The largest of `init` and the finite x[i] (NaN and infinities ignored).
float finite_max(const float* x, int64_t n, float init);

// Unnormalised softmax weights at inverse temperature inv_t: w[i] =
// exp_nonpositive((x[i] - max) * inv_t) for finite x[i] (max: their maximum),
// 0 otherwise. Returns their sum in double: 16 lanes (lane i mod 16, in i
// order), then added pairwise (l + l+8, +4, +2, +1).
double softmax_weights(const float* x, int64_t n, float max, float inv_t, float* w);

}  // namespace sy::kernels::cpu
