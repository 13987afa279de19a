#pragma once
// Host-side view of the CUDA backend; compiled without nvcc too.
namespace sy::kernels {

// Number of usable CUDA devices; 0 when built without CUDA or no driver/device.
int cuda_device_count();

}  // namespace sy::kernels
