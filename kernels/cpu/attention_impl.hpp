#pragma once
// The attention_heads paths behind the run-time dispatch in attention.cpp.
// Each follows the arithmetic spelled out in sy/kernels/cpu/attention.hpp.
#include <cstdint>

namespace sy::kernels::cpu::detail {

// Scores of one head -> exp(s - m) in place (m: the max of the sink and the
// finite scores); returns 1 / (their sum + the sink's term). The same code
// (vector_math.hpp's passes) for every path.
float softmax_with_sink(float* scores, int n, float sink);

// Each returns false, computing nothing, for shapes it does not handle.
bool attention_heads_avx512(const float* q, int G, const float* const* k_rows, const float* const* v_rows,
                            int64_t offset, int n, int D, float scale, const float* sinks, float* scores, float* out);
bool attention_heads_avx2(const float* q, int G, const float* const* k_rows, const float* const* v_rows,
                          int64_t offset, int n, int D, float scale, const float* sinks, float* scores, float* out);

}  // namespace sy::kernels::cpu::detail
