#pragma once
// The attention_heads paths behind the run-time dispatch in attention.cpp.
// Each follows the arithmetic spelled out in sy/kernels/cpu/attention.hpp.
#include <cstdint>

namespace sy::kernels::cpu::detail {

// The pairwise sum of 16 lanes: l + l+8, then +4, +2, +1.
template <class T>
T reduce16(const T* lanes) {
  T h8[8], h4[4], h2[2];
  for (int i = 0; i < 8; ++i) h8[i] = lanes[i] + lanes[i + 8];
  for (int i = 0; i < 4; ++i) h4[i] = h8[i] + h8[i + 4];
  for (int i = 0; i < 2; ++i) h2[i] = h4[i] + h4[i + 2];
  return h2[0] + h2[1];
}

// Each returns false, computing nothing, for shapes it does not handle.
bool attention_heads_avx512(const float* q, int G, const float* const* k_rows, const float* const* v_rows,
                            int64_t offset, int n, int D, float scale, const float* sinks, float* scores, float* out);
bool attention_heads_avx2(const float* q, int G, const float* const* k_rows, const float* const* v_rows,
                          int64_t offset, int n, int D, float scale, const float* sinks, float* scores, float* out);

}  // namespace sy::kernels::cpu::detail
