#pragma once
// The SIMD paths behind vector_math.hpp's run-time choice.
#include <cstdint>

namespace sy::kernels::cpu::detail {

void swiglu_rows_avx512(const float* gate, const float* up, const float* gate_bias, const float* up_bias, int64_t n,
                        float* out);
double softmax_weights_avx512(const float* x, int64_t n, float max, float inv_t, float* w);
float finite_max_avx512(const float* x, int64_t n, float init);
void swiglu_rows_avx2(const float* gate, const float* up, const float* gate_bias, const float* up_bias, int64_t n,
                      float* out);
double softmax_weights_avx2(const float* x, int64_t n, float max, float inv_t, float* w);
float finite_max_avx2(const float* x, int64_t n, float init);

}  // namespace sy::kernels::cpu::detail
