#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <thread>

#include "random_blocks.hpp"
#include "sy/kernels/cpu/gemm_q8.hpp"
#include "sy/kernels/cpu/thread_pool.hpp"

namespace sy::kernels::cpu {
namespace {

struct Weights {
  WType type;
  std::vector<uint8_t> bytes;
  size_t row_bytes;
  std::vector<double> deq;  // rows x cols, exact
};

Weights random_weights(WType type, int64_t rows, int64_t blocks, std::mt19937& rng) {
  Weights w{type, {}, 0, {}};
  if (type == WType::kQ8_0) {
    auto b = random_q8(rows * blocks, rng);
    w.bytes.assign(reinterpret_cast<const uint8_t*>(b.data()), reinterpret_cast<const uint8_t*>(b.data() + b.size()));
    w.row_bytes = static_cast<size_t>(blocks) * sizeof(BlockQ8_0);
    w.deq = dequant_ref(b);
  } else {
    auto b = random_mxfp4(rows * blocks, rng);
    w.bytes.assign(reinterpret_cast<const uint8_t*>(b.data()), reinterpret_cast<const uint8_t*>(b.data() + b.size()));
    w.row_bytes = static_cast<size_t>(blocks) * sizeof(BlockMxfp4);
    w.deq = dequant_ref(b);
  }
  return w;
}

std::vector<float> random_activations(int64_t n, int64_t cols, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 2.0f);
  std::vector<float> x(static_cast<size_t>(n * cols));
  for (auto& v : x) v = nd(rng);
  if (cols >= 64) std::fill_n(x.begin() + 32, 32, 0.0f);  // an all-zero block: scale 0
  return x;
}

// The activation value the kernel multiplies: q * d of the Q8_0 block.
double activation(const QuantizedActivations& q, int64_t row, int64_t k) {
  const int64_t b = k / kQK;
  return q.values(row)[k] * static_cast<double>(q.scales(row)[(b / 2) * 16 + (b % 2) * 8]);
}

class GemmQ8 : public ::testing::TestWithParam<bool> {  // param: force the portable kernel
 protected:
  void SetUp() override { gemm_q8_force_portable(GetParam()); }
  void TearDown() override { gemm_q8_force_portable(false); }
};

TEST(GemmQ8Quantize, MatchesQ8_0BlocksAndPadsOddTails) {
  std::mt19937 rng(5);
  for (int64_t blocks : {1, 2, 3, 90}) {
    const int64_t cols = blocks * kQK;
    const auto x = random_activations(3, cols, rng);
    QuantizedActivations q;
    q.quantize(x.data(), 3, cols);
    ASSERT_EQ(q.pairs(), (blocks + 1) / 2);
    for (int64_t r = 0; r < 3; ++r) {
      for (int64_t b = 0; b < blocks; ++b) {
        BlockQ8_0 want;
        quantize_block_q8_0(x.data() + r * cols + b * kQK, want);
        for (int j = 0; j < kQK; ++j) ASSERT_EQ(q.values(r)[b * kQK + j], want.qs[j]);
        for (int l = 0; l < 8; ++l) ASSERT_EQ(q.scales(r)[(b / 2) * 16 + (b % 2) * 8 + l], fp16_to_f32(want.d));
        for (int l = 0; l < 8; ++l) {
          const int sum = want.qs[4 * l] + want.qs[4 * l + 1] + want.qs[4 * l + 2] + want.qs[4 * l + 3];
          ASSERT_EQ(q.corrections(r)[(b / 2) * 16 + (b % 2) * 8 + l], -128 * sum);
        }
      }
      if (blocks % 2) {
        for (int j = 0; j < kQK; ++j) EXPECT_EQ(q.values(r)[blocks * kQK + j], 0);
        for (int l = 8; l < 16; ++l) EXPECT_EQ(q.scales(r)[(blocks / 2) * 16 + l], 0.0f);
      }
    }
  }
}

TEST_P(GemmQ8, MatchesDoubleReferenceOnOddShapes) {
  std::mt19937 rng(17);
  for (WType type : {WType::kQ8_0, WType::kMXFP4}) {
    for (int64_t rows : {1, 3, 5, 13}) {
      for (int64_t blocks : {1, 2, 3, 7, 90}) {
        const int64_t cols = blocks * kQK;
        const Weights w = random_weights(type, rows, blocks, rng);
        for (int64_t n : {1, 2, 3, 4, 5, 9}) {
          const auto x = random_activations(n, cols, rng);
          QuantizedActivations q;
          q.quantize(x.data(), n, cols);
          std::vector<float> y(static_cast<size_t>(n * rows), NAN);
          gemm_q8(type, w.bytes.data(), w.row_bytes, 0, rows, q, {}, y.data(), rows);
          for (int64_t t = 0; t < n; ++t) {
            for (int64_t r = 0; r < rows; ++r) {
              double ref = 0, mag = 0;
              for (int64_t k = 0; k < cols; ++k) {
                const double p = w.deq[static_cast<size_t>(r * cols + k)] * activation(q, t, k);
                ref += p;
                mag += std::fabs(p);
              }
              ASSERT_NEAR(y[static_cast<size_t>(t * rows + r)], ref, 2e-6 * mag + 1e-30)
                  << "type " << static_cast<int>(type) << " rows " << rows << " blocks " << blocks << " n " << n
                  << " t " << t << " r " << r;
            }
          }
        }
      }
    }
  }
}

// A sequence's outputs must not depend on which tokens share its call, their
// order, or where the row range starts (batched == alone, bit for bit).
TEST_P(GemmQ8, ResultsDoNotDependOnBatchOrRowRange) {
  std::mt19937 rng(23);
  for (WType type : {WType::kQ8_0, WType::kMXFP4}) {
    const int64_t rows = 11, blocks = 9, cols = blocks * kQK, n = 7;
    const Weights w = random_weights(type, rows, blocks, rng);
    const auto x = random_activations(n, cols, rng);
    QuantizedActivations q;
    q.quantize(x.data(), n, cols);
    std::vector<float> all(static_cast<size_t>(n * rows));
    gemm_q8(type, w.bytes.data(), w.row_bytes, 0, rows, q, {}, all.data(), rows);

    std::vector<int32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<float> shuffled(static_cast<size_t>(n * rows));
    gemm_q8(type, w.bytes.data(), w.row_bytes, 0, rows, q, order, shuffled.data(), rows);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t r = 0; r < rows; ++r)
        ASSERT_EQ(shuffled[static_cast<size_t>(i * rows + r)], all[static_cast<size_t>(order[static_cast<size_t>(i)] * rows + r)]);

    for (int32_t t = 0; t < n; ++t) {
      const int32_t one[] = {t};
      for (int64_t r0 : {0, 1, 3, 6}) {
        std::vector<float> part(static_cast<size_t>(rows - r0));
        gemm_q8(type, w.bytes.data(), w.row_bytes, r0, rows, q, one, part.data(), rows - r0);
        for (int64_t r = r0; r < rows; ++r)
          ASSERT_EQ(part[static_cast<size_t>(r - r0)], all[static_cast<size_t>(t * rows + r)]) << "t " << t << " r0 " << r0;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, GemmQ8, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? std::string("Portable") : std::string("Dispatched"); });

TEST(GemmQ8Dispatch, SimdAndPortableAgree) {
  std::mt19937 rng(31);
  const int64_t rows = 8, blocks = 90, cols = blocks * kQK, n = 6;
  for (WType type : {WType::kQ8_0, WType::kMXFP4}) {
    const Weights w = random_weights(type, rows, blocks, rng);
    const auto x = random_activations(n, cols, rng);
    QuantizedActivations q;
    q.quantize(x.data(), n, cols);
    std::vector<float> simd(static_cast<size_t>(n * rows)), portable(simd.size());
    gemm_q8(type, w.bytes.data(), w.row_bytes, 0, rows, q, {}, simd.data(), rows);
    gemm_q8_force_portable(true);
    gemm_q8(type, w.bytes.data(), w.row_bytes, 0, rows, q, {}, portable.data(), rows);
    gemm_q8_force_portable(false);
    for (int64_t t = 0; t < n; ++t) {
      for (int64_t r = 0; r < rows; ++r) {
        double mag = 0;  // float rounding scales with the sum of |products|, not with the result
        for (int64_t k = 0; k < cols; ++k) mag += std::fabs(w.deq[static_cast<size_t>(r * cols + k)] * activation(q, t, k));
        const size_t i = static_cast<size_t>(t * rows + r);
        EXPECT_NEAR(simd[i], portable[i], 2e-5 * mag);
      }
    }
  }
  std::printf("[gemm_q8] dispatched kernel: %s\n", gemm_q8_kernel_name());
}

TEST(KernelsCpuThreadPool, WorkersWakeAfterSleeping) {
  ThreadPool pool(3);
  for (int round = 0; round < 3; ++round) {
    // Longer than the spin window: workers have gone to sleep on the futex.
    std::this_thread::sleep_for(ThreadPool::kSpin * 3);
    std::vector<std::atomic<int>> hits(1000);
    pool.parallel_for(1000, 7, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

}  // namespace
}  // namespace sy::kernels::cpu
