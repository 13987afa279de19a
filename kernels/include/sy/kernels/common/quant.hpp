#pragma once
// ggml block formats (Q8_0, MXFP4): layouts, per-block dequantisation and the
// Q8_0 activation quantiser, shared by CPU and CUDA.
#include <cstdint>

#include "sy/kernels/common/fp.hpp"

namespace sy::kernels {

constexpr int kQK = 32;  // elements per Q8_0 / MXFP4 block

struct BlockQ8_0 {
  uint16_t d;  // fp16 scale
  int8_t qs[kQK];
};
static_assert(sizeof(BlockQ8_0) == 34);

struct BlockMxfp4 {
  uint8_t e;  // E8M0 shared exponent
  uint8_t qs[kQK / 2];  // byte j: low nibble = element j, high nibble = element j+16
};
static_assert(sizeof(BlockMxfp4) == 17);

// E2M1 values doubled (ggml kvalues_mxfp4); scale 2^(e-128) undoes the doubling.
#if defined(__CUDACC__)
__device__ __constant__ static const int8_t kFp4ValuesDev[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
#endif
SY_HD int8_t fp4_value(uint8_t code) {
#if defined(__CUDA_ARCH__)
  return kFp4ValuesDev[code & 15];
#else
  constexpr int8_t kValues[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
  return kValues[code & 15];
#endif
}

SY_HD void dequantize_block_q8_0(const BlockQ8_0& b, float* out) {
  const float d = fp16_to_f32(b.d);
  for (int j = 0; j < kQK; ++j) out[j] = d * static_cast<float>(b.qs[j]);
}

SY_HD void dequantize_block_mxfp4(const BlockMxfp4& b, float* out) {
  const float d = e8m0_to_f32_half(b.e);
  for (int j = 0; j < kQK / 2; ++j) {
    out[j] = d * static_cast<float>(fp4_value(b.qs[j] & 15));
    out[j + kQK / 2] = d * static_cast<float>(fp4_value(b.qs[j] >> 4));
  }
}

SY_HD float round_half_even(float x) {
#if defined(__CUDA_ARCH__)
  return rintf(x);
#else
  return __builtin_rintf(x);  // default FP environment: nearest-even, like _mm256_round_ps
#endif
}

// ggml's x86 quantize_row_q8_0: d = amax/127 stored as fp16, q = round(x * 127/amax).
SY_HD void quantize_block_q8_0(const float* x, BlockQ8_0& out) {
  float amax = 0.0f;
  for (int j = 0; j < kQK; ++j) {
    float a = x[j] < 0 ? -x[j] : x[j];
    amax = a > amax ? a : amax;
  }
  const float d = amax / 127.0f;
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  out.d = f32_to_fp16(d);
  for (int j = 0; j < kQK; ++j) out.qs[j] = static_cast<int8_t>(round_half_even(x[j] * id));
}

}  // namespace sy::kernels
