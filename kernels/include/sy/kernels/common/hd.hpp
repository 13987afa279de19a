#pragma once
// SY_HD marks math shared by the CPU and CUDA backends: __host__ __device__
// under nvcc, plain inline otherwise, so CPU tests exercise the same code.
#if defined(__CUDACC__)
#define SY_HD __host__ __device__ __forceinline__
#else
#define SY_HD inline
#endif
