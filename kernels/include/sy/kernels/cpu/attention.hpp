#pragma once
// Attention of the query heads that share one KV head (GQA, spec §4.3): for
// each head g, logits s_j = scale * q_g·k_j, softmax over [s_0 .. s_{n-1},
// sink_g] (the sink takes probability mass but adds no value), out_g =
// Σ_j p_j v_j.
//
// Keys and values are rows reached through pointers (the KV cache is paged),
// each offset by `offset` floats (the KV head's slice). Doing a KV head's
// query heads together reads each key and value row once for all of them.
//
// The arithmetic, which the portable, AVX2 and AVX-512 paths (simd_path.hpp)
// all follow exactly (bit-identical results):
//   q·k     16 lanes, lane l accumulating columns l, l+16, ... by FMA, then the
//           lanes summed pairwise (l + l+8, then +4, +2, +1), times scale;
//   exp     exp_nonpositive(s_j - m), m the max of the sink and the finite
//           scores (a non-finite score gets weight 0);
//   sum     in double: 16 lanes, lane l adding positions j = l mod 16 in
//           order, summed pairwise like the dot products, plus the sink term
//           (vector_math.hpp's finite_max and softmax_weights do both steps);
//   out     p_j = e_j * (float)(1 / sum); out = fma(p_j, v_j, out) in j order.
#include <cstdint>

namespace sy::kernels::cpu {

// q: the G heads' queries, D floats apart; sinks: their G sinks; out: G * D
// floats. scores: scratch for G * n floats. D: head dimension.
void attention_heads(const float* q, int G, const float* const* k_rows, const float* const* v_rows, int64_t offset,
                     int n, int D, float scale, const float* sinks, float* scores, float* out);

}  // namespace sy::kernels::cpu
