#include "sy/kernels/cuda_ops.hpp"

#if defined(SY_HAVE_CUDA)
namespace sy::kernels::cuda_impl {
bool dequantize_mxfp4(const BlockMxfp4* blocks, int64_t n_blocks, float* out);
bool swiglu_oai(const float* gate, const float* up, int64_t n, float* out);
}  // namespace sy::kernels::cuda_impl
#endif

namespace sy::kernels {

bool cuda_dequantize_mxfp4(const BlockMxfp4* blocks, int64_t n_blocks, float* out) {
#if defined(SY_HAVE_CUDA)
  return cuda_impl::dequantize_mxfp4(blocks, n_blocks, out);
#else
  (void)blocks, (void)n_blocks, (void)out;
  return false;
#endif
}

bool cuda_swiglu_oai(const float* gate, const float* up, int64_t n, float* out) {
#if defined(SY_HAVE_CUDA)
  return cuda_impl::swiglu_oai(gate, up, n, out);
#else
  (void)gate, (void)up, (void)n, (void)out;
  return false;
#endif
}

}  // namespace sy::kernels
