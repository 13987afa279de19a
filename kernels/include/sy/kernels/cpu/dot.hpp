#pragma once
// Row conversions for the weight formats gpt-oss uses and the f32 dot of the
// reference path (AVX2 picked at run time; the portable version may differ in
// the last bits from summation order). Quantised products: gemm_q8.hpp.
#include <cstdint>

#include "sy/kernels/common/quant.hpp"

namespace sy::kernels::cpu {

enum class WType { kF32, kF16, kBF16, kQ8_0, kMXFP4 };

bool has_avx2();

// Dequantise the first n elements (n % 32 == 0 for block types) of a row.
void dequantize_row(WType type, const void* row, float* out, int64_t n);

float dot_f32(const float* a, const float* b, int64_t n);
// Portable versions, exposed so tests can compare them with the dispatched ones.
float dot_f32_portable(const float* a, const float* b, int64_t n);

}  // namespace sy::kernels::cpu
