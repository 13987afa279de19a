// CUDA versions of per-block / per-element ops built from the same SY_HD
// functions the CPU uses (kernels/include/sy/kernels/common).
#include <cuda_runtime.h>

#include <cstdint>

#include "sy/kernels/common/ops.hpp"
#include "sy/kernels/common/quant.hpp"

namespace sy::kernels::cuda_impl {

namespace {

__global__ void dequantize_mxfp4_kernel(const BlockMxfp4* blocks, int64_t n_blocks, float* out) {
  const int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (b < n_blocks) dequantize_block_mxfp4(blocks[b], out + b * kQK);
}

__global__ void swiglu_oai_kernel(const float* gate, const float* up, int64_t n, float* out) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) out[i] = swiglu_oai(gate[i], up[i]);
}

struct DeviceBuffer {
  void* p = nullptr;
  ~DeviceBuffer() {
    if (p) cudaFree(p);
  }
  bool alloc(size_t bytes) { return cudaMalloc(&p, bytes == 0 ? 1 : bytes) == cudaSuccess; }
};

constexpr int kThreads = 256;

int grid_for(int64_t n) { return static_cast<int>((n + kThreads - 1) / kThreads); }

}  // namespace

bool dequantize_mxfp4(const BlockMxfp4* blocks, int64_t n_blocks, float* out) {
  DeviceBuffer in, res;
  const size_t in_bytes = static_cast<size_t>(n_blocks) * sizeof(BlockMxfp4);
  const size_t out_bytes = static_cast<size_t>(n_blocks) * kQK * sizeof(float);
  if (!in.alloc(in_bytes) || !res.alloc(out_bytes)) return false;
  if (cudaMemcpy(in.p, blocks, in_bytes, cudaMemcpyHostToDevice) != cudaSuccess) return false;
  if (n_blocks > 0)
    dequantize_mxfp4_kernel<<<grid_for(n_blocks), kThreads>>>(static_cast<const BlockMxfp4*>(in.p), n_blocks,
                                                               static_cast<float*>(res.p));
  if (cudaGetLastError() != cudaSuccess) return false;
  return cudaMemcpy(out, res.p, out_bytes, cudaMemcpyDeviceToHost) == cudaSuccess;
}

bool swiglu_oai(const float* gate, const float* up, int64_t n, float* out) {
  DeviceBuffer g, u, o;
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  if (!g.alloc(bytes) || !u.alloc(bytes) || !o.alloc(bytes)) return false;
  if (cudaMemcpy(g.p, gate, bytes, cudaMemcpyHostToDevice) != cudaSuccess) return false;
  if (cudaMemcpy(u.p, up, bytes, cudaMemcpyHostToDevice) != cudaSuccess) return false;
  if (n > 0)
    swiglu_oai_kernel<<<grid_for(n), kThreads>>>(static_cast<const float*>(g.p), static_cast<const float*>(u.p), n,
                                                 static_cast<float*>(o.p));
  if (cudaGetLastError() != cudaSuccess) return false;
  return cudaMemcpy(out, o.p, bytes, cudaMemcpyDeviceToHost) == cudaSuccess;
}

}  // namespace sy::kernels::cuda_impl
