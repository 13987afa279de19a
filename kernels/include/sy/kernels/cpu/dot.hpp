#pragma once
// CPU dot products and row conversions for the weight formats gpt-oss uses.
// AVX2 versions are picked at run time when the CPU has them; the portable
// versions compute the same sums (integer dots are exact; float sums may differ
// in the last bits from summation order).
#include <cstdint>

#include "sy/kernels/common/quant.hpp"

namespace sy::kernels::cpu {

enum class WType { kF32, kF16, kBF16, kQ8_0, kMXFP4 };

bool has_avx2();

// Dequantise the first n elements (n % 32 == 0 for block types) of a row.
void dequantize_row(WType type, const void* row, float* out, int64_t n);
// n % 32 == 0.
void quantize_row_q8_0(const float* x, BlockQ8_0* out, int64_t n);

float dot_f32(const float* a, const float* b, int64_t n);
float dot_q8_0_q8_0(const BlockQ8_0* w, const BlockQ8_0* x, int64_t n_blocks);
float dot_mxfp4_q8_0(const BlockMxfp4* w, const BlockQ8_0* x, int64_t n_blocks);

// Four activation rows at once (x + i * x_stride blocks for i = 0..3): each
// weight block is expanded once; every out[i] equals the single-row dot.
void dot_q8_0_q8_0_x4(const BlockQ8_0* w, const BlockQ8_0* x, int64_t x_stride, int64_t n_blocks, float* out);
void dot_mxfp4_q8_0_x4(const BlockMxfp4* w, const BlockQ8_0* x, int64_t x_stride, int64_t n_blocks, float* out);

// Portable versions, exposed so tests can compare them with the dispatched ones.
float dot_f32_portable(const float* a, const float* b, int64_t n);
float dot_q8_0_q8_0_portable(const BlockQ8_0* w, const BlockQ8_0* x, int64_t n_blocks);
float dot_mxfp4_q8_0_portable(const BlockMxfp4* w, const BlockQ8_0* x, int64_t n_blocks);

}  // namespace sy::kernels::cpu
