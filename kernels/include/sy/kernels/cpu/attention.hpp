#pragma once
// One query head's attention over its keys and values (spec §4.3): logits
// s_j = scale * q·k_j, softmax over [s_0 .. s_{n-1}, sink] (the sink takes
// probability mass but adds no value), out = Σ_j p_j v_j.
//
// Keys and values are rows reached through pointers (the KV cache is paged),
// each offset by `offset` floats (the KV head's slice). The AVX-512 path keeps
// q and the output in registers and reads each key and value row once; the
// portable path computes the same sums in the same order.
#include <cstdint>

namespace sy::kernels::cpu {

// scores: scratch for n floats. D: head dimension.
void attention_head(const float* q, const float* const* k_rows, const float* const* v_rows, int64_t offset, int n,
                    int D, float scale, float sink, float* scores, float* out);

// Tests: force the portable path (false restores run-time dispatch).
void attention_force_portable(bool on);

}  // namespace sy::kernels::cpu
