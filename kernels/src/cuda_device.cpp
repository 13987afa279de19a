#include "sy/kernels/cuda_device.hpp"

#if defined(SY_HAVE_CUDA)
namespace sy::kernels::cuda_impl {
int device_count();
}
#endif

namespace sy::kernels {

int cuda_device_count() {
#if defined(SY_HAVE_CUDA)
  return cuda_impl::device_count();
#else
  return 0;
#endif
}

}  // namespace sy::kernels
