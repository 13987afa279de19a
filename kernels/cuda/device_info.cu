#include <cuda_runtime.h>

namespace sy::kernels::cuda_impl {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

}  // namespace sy::kernels::cuda_impl
