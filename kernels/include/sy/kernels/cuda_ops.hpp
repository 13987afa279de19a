#pragma once
// Host entry points of CUDA kernels that share the common/ math with the CPU
// (used to check the CUDA build against the CPU). Return false when built
// without CUDA or when no device is usable.
#include <cstdint>

#include "sy/kernels/common/quant.hpp"

namespace sy::kernels {

// Dequantise n_blocks MXFP4 blocks (host memory in and out) on the GPU.
bool cuda_dequantize_mxfp4(const BlockMxfp4* blocks, int64_t n_blocks, float* out);
// out[i] = swiglu_oai(gate[i], up[i]) on the GPU.
bool cuda_swiglu_oai(const float* gate, const float* up, int64_t n, float* out);

}  // namespace sy::kernels
