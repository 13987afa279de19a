#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>

#include "sy/kernels/common/ops.hpp"
#include "sy/kernels/cpu/matmul.hpp"
#include "sy/kernels/cpu/thread_pool.hpp"
#include "sy/kernels/cuda_device.hpp"
#include "sy/kernels/cuda_ops.hpp"
#include "random_blocks.hpp"

namespace sy::kernels::cpu {
namespace {

TEST(KernelsCpuDot, F32DotOddLengths) {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd;
  for (int n : {1, 7, 8, 15, 17, 33, 1001}) {
    std::vector<float> a(n), b(n);
    double ref = 0, mag = 0;
    for (int i = 0; i < n; ++i) {
      a[i] = nd(rng), b[i] = nd(rng);
      ref += static_cast<double>(a[i]) * b[i];
      mag += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    EXPECT_NEAR(dot_f32(a.data(), b.data(), n), ref, 1e-6 * mag) << n;
    EXPECT_NEAR(dot_f32_portable(a.data(), b.data(), n), ref, 1e-6 * mag) << n;
  }
}

TEST(KernelsCpuMatmul, AllTypesBothModesMatchDouble) {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd;
  const int64_t rows = 37, cols = 96, tokens = 5;
  std::vector<float> x(tokens * cols);
  for (auto& v : x) v = nd(rng);
  std::vector<float> wf(rows * cols);
  for (auto& v : wf) v = nd(rng) * 0.1f;
  std::vector<uint16_t> wh(wf.size()), wb(wf.size());
  for (size_t i = 0; i < wf.size(); ++i) wh[i] = f32_to_fp16(wf[i]), wb[i] = f32_to_bf16(wf[i]);
  auto w8 = random_q8(rows * cols / 32, rng);
  auto w4 = random_mxfp4(rows * cols / 32, rng);
  ThreadPool pool(3);
  struct Case { WType t; const void* data; size_t row_bytes; };
  const Case cases[] = {{WType::kF32, wf.data(), cols * 4}, {WType::kF16, wh.data(), cols * 2},
                        {WType::kBF16, wb.data(), cols * 2}, {WType::kQ8_0, w8.data(), cols / 32 * 34},
                        {WType::kMXFP4, w4.data(), cols / 32 * 17}};
  for (const Case& c : cases) {
    MatrixView w{c.t, static_cast<const uint8_t*>(c.data), rows, cols, c.row_bytes};
    std::vector<float> deq(cols);
    for (MatmulMode mode : {MatmulMode::kReference, MatmulMode::kQuantizedActivations}) {
      std::vector<float> y(tokens * rows);
      matmul(w, x.data(), tokens, y.data(), mode, &pool);
      for (int64_t r = 0; r < rows; ++r) {
        dequantize_row(c.t, w.row(r), deq.data(), cols);
        for (int64_t t = 0; t < tokens; ++t) {
          double ref = 0, mag = 0;
          for (int64_t k = 0; k < cols; ++k) {
            ref += static_cast<double>(deq[k]) * x[t * cols + k];
            mag += std::fabs(static_cast<double>(deq[k]) * x[t * cols + k]);
          }
          // Q8_0 activation rounding: relative error about 1/254 per element.
          const double tol = (mode == MatmulMode::kQuantizedActivations && is_block_type(c.t)) ? 6e-3 * mag : 1e-5 * mag;
          ASSERT_NEAR(y[t * rows + r], ref, tol + 1e-9) << static_cast<int>(c.t) << " r" << r << " t" << t;
        }
      }
    }
  }
}

TEST(KernelsCpuThreadPool, CoversEveryIndexOnce) {
  ThreadPool pool(4);
  EXPECT_EQ(pool.size(), 4);
  for (int64_t n : {1, 5, 1000, 12345}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallel_for(n, 7, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

TEST(GpuKernels, CudaMatchesCpuSharedMath) {
  if (sy::kernels::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(5);
  auto w4 = random_mxfp4(257, rng);
  std::vector<float> gpu(257 * 32), cpu_out(257 * 32);
  ASSERT_TRUE(cuda_dequantize_mxfp4(w4.data(), 257, gpu.data()));
  dequantize_row(WType::kMXFP4, w4.data(), cpu_out.data(), 257 * 32);
  for (size_t i = 0; i < gpu.size(); ++i) ASSERT_EQ(gpu[i], cpu_out[i]) << i;
  std::normal_distribution<float> nd(0.0f, 5.0f);
  std::vector<float> g(1000), u(1000), o(1000);
  for (auto& v : g) v = nd(rng);
  for (auto& v : u) v = nd(rng);
  ASSERT_TRUE(cuda_swiglu_oai(g.data(), u.data(), 1000, o.data()));
  for (int i = 0; i < 1000; ++i) EXPECT_NEAR(o[i], swiglu_oai(g[i], u[i]), 1e-5f * (1 + std::fabs(o[i])));
}

}  // namespace
}  // namespace sy::kernels::cpu
