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
  return q.values(row)[k] * static_cast<double>(q.scales(row)[k / kQK]);
}

// The weights packed into panels, as the model does at load.
std::vector<uint8_t, AlignedAllocator<uint8_t>> pack(const Weights& w, int64_t rows, int64_t cols) {
  std::vector<uint8_t, AlignedAllocator<uint8_t>> panels(static_cast<size_t>(panel_count(rows)) *
                                                         panel_bytes(w.type, cols));
  pack_panels(w.type, w.bytes.data(), w.row_bytes, rows, cols, 0, panel_count(rows), panels.data());
  return panels;
}

// gemm_packed on rows `tokens` of q (empty: all), regrouped as the engine does.
void gemm(WType type, const uint8_t* panels, int64_t r0, int64_t r1, const QuantizedActivations& q,
          std::span<const int32_t> tokens, float* y, int64_t y_stride) {
  TiledActivations tiled;
  tiled.gather(q, tokens);
  gemm_packed(type, panels, r0, r1, tiled, y, y_stride);
}

constexpr GemmKernel kKernels[] = {GemmKernel::kAvx512Vnni, GemmKernel::kAvx2, GemmKernel::kPortable};

std::string kernel_label(GemmKernel k) {
  switch (k) {
    case GemmKernel::kAvx512Vnni: return "Avx512Vnni";
    case GemmKernel::kAvx2: return "Avx2";
    default: return "Portable";
  }
}

// Runs the suite on one kernel; kernels this CPU lacks are skipped.
class GemmQ8 : public ::testing::TestWithParam<GemmKernel> {
 protected:
  void SetUp() override {
    if (!gemm_q8_force_kernel(GetParam())) GTEST_SKIP() << "this CPU lacks the " << kernel_label(GetParam()) << " kernel";
  }
  void TearDown() override { gemm_q8_force_kernel(GemmKernel::kAuto); }
};

TEST_P(GemmQ8, QuantizeMatchesQ8_0Blocks) {
  std::mt19937 rng(5);
  for (int64_t blocks : {1, 2, 3, 90}) {
    const int64_t cols = blocks * kQK;
    const auto x = random_activations(3, cols, rng);
    QuantizedActivations q;
    q.quantize(x.data(), 3, cols);
    ASSERT_EQ(q.blocks(), blocks);
    for (int64_t r = 0; r < 3; ++r) {
      for (int64_t b = 0; b < blocks; ++b) {
        BlockQ8_0 want;
        quantize_block_q8_0(x.data() + r * cols + b * kQK, want);
        int sum = 0;
        for (int j = 0; j < kQK; ++j) {
          ASSERT_EQ(q.values(r)[b * kQK + j], want.qs[j]);
          sum += want.qs[j];
        }
        ASSERT_EQ(q.scales(r)[b], fp16_to_f32(want.d));
        ASSERT_EQ(q.corrections(r)[b], -128 * sum);
      }
    }
  }
}

TEST(GemmQ8Pack, PanelsAreAsLargeAsTheirRowsAndCacheLineAligned) {
  for (int64_t blocks : {1, 7, 90}) {
    const int64_t cols = blocks * kQK;
    const size_t mx = panel_bytes(WType::kMXFP4, cols), q8 = panel_bytes(WType::kQ8_0, cols);
    EXPECT_EQ(mx % 64, 0u);
    EXPECT_EQ(q8 % 64, 0u);
    EXPECT_GE(mx, static_cast<size_t>(kPanelRows * blocks) * sizeof(BlockMxfp4));
    EXPECT_LT(mx, static_cast<size_t>(kPanelRows * blocks) * sizeof(BlockMxfp4) + 64);
    EXPECT_GE(q8, static_cast<size_t>(kPanelRows * blocks) * sizeof(BlockQ8_0));
    EXPECT_LT(q8, static_cast<size_t>(kPanelRows * blocks) * sizeof(BlockQ8_0) + 64);
  }
}

TEST_P(GemmQ8, MatchesDoubleReferenceOnOddShapes) {
  std::mt19937 rng(17);
  for (WType type : {WType::kQ8_0, WType::kMXFP4}) {
    for (int64_t rows : {1, 5, 16, 17, 35}) {
      for (int64_t blocks : {1, 2, 3, 7, 90}) {
        const int64_t cols = blocks * kQK;
        const Weights w = random_weights(type, rows, blocks, rng);
        const auto panels = pack(w, rows, cols);
        for (int64_t n : {1, 2, 3, 8, 9, 17}) {
          const auto x = random_activations(n, cols, rng);
          QuantizedActivations q;
          q.quantize(x.data(), n, cols);
          std::vector<float> y(static_cast<size_t>(n * rows), NAN);
          gemm(type, panels.data(), 0, rows, q, {}, y.data(), rows);
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
// order, or which panels the row range covers (batched == alone, bit for bit).
TEST_P(GemmQ8, ResultsDoNotDependOnBatchOrRowRange) {
  std::mt19937 rng(23);
  for (WType type : {WType::kQ8_0, WType::kMXFP4}) {
    const int64_t rows = 43, blocks = 9, cols = blocks * kQK, n = 11;
    const Weights w = random_weights(type, rows, blocks, rng);
    const auto panels = pack(w, rows, cols);
    const auto x = random_activations(n, cols, rng);
    QuantizedActivations q;
    q.quantize(x.data(), n, cols);
    std::vector<float> all(static_cast<size_t>(n * rows));
    gemm(type, panels.data(), 0, rows, q, {}, all.data(), rows);

    std::vector<int32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<float> shuffled(static_cast<size_t>(n * rows));
    gemm(type, panels.data(), 0, rows, q, order, shuffled.data(), rows);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t r = 0; r < rows; ++r)
        ASSERT_EQ(shuffled[static_cast<size_t>(i * rows + r)], all[static_cast<size_t>(order[static_cast<size_t>(i)] * rows + r)]);

    // One to four tokens take the two-panel path; row ranges cover whole,
    // partial and odd numbers of panels.
    for (int32_t t = 0; t < n; ++t) {
      const int32_t m = static_cast<int32_t>(n);
      const int32_t picked[] = {t, (t * 5 + 3) % m, (t * 7 + 1) % m, (t + 4) % m};
      for (size_t count : {size_t{1}, size_t{2}, size_t{3}, size_t{4}}) {
        for (auto [r0, r1] : {std::pair<int64_t, int64_t>{0, rows}, {16, rows}, {32, 40}, {16, 32}}) {
          const int64_t width = r1 - r0;
          std::vector<float> part(count * static_cast<size_t>(width), NAN);
          gemm(type, panels.data(), r0, r1, q, std::span<const int32_t>(picked, count), part.data(), width);
          for (size_t i = 0; i < count; ++i)
            for (int64_t r = r0; r < r1; ++r)
              ASSERT_EQ(part[i * static_cast<size_t>(width) + static_cast<size_t>(r - r0)],
                        all[static_cast<size_t>(picked[i] * rows + r)])
                  << "t " << picked[i] << " count " << count << " r0 " << r0;
        }
      }
    }
  }
}

// Q8_0 weights of -128 (which ggml's quantiser never writes but a file may
// hold) and activations of +-127 are the extremes of the int16 pair sums the
// AVX2 kernel relies on: results must still be exact.
TEST_P(GemmQ8, ExtremeQ8ValuesStayExact) {
  const int64_t rows = 16, blocks = 4, cols = blocks * kQK, n = 2;
  std::vector<BlockQ8_0> b(static_cast<size_t>(rows * blocks));
  for (size_t i = 0; i < b.size(); ++i) {
    b[i].d = f32_to_fp16(1.0f);
    for (int k = 0; k < kQK; ++k) b[i].qs[k] = static_cast<int8_t>((i + static_cast<size_t>(k)) % 3 == 0 ? 127 : -128);
  }
  Weights w{WType::kQ8_0, {}, static_cast<size_t>(blocks) * sizeof(BlockQ8_0), dequant_ref(b)};
  w.bytes.assign(reinterpret_cast<const uint8_t*>(b.data()), reinterpret_cast<const uint8_t*>(b.data() + b.size()));
  const auto panels = pack(w, rows, cols);
  std::vector<float> x(static_cast<size_t>(n * cols));
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 5 < 2 ? -1.0f : 1.0f) * (i < x.size() / 2 ? 1.0f : 0.5f);
  QuantizedActivations q;
  q.quantize(x.data(), n, cols);
  std::vector<float> y(static_cast<size_t>(n * rows), NAN);
  gemm(WType::kQ8_0, panels.data(), 0, rows, q, {}, y.data(), rows);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t r = 0; r < rows; ++r) {
      double ref = 0;
      for (int64_t k = 0; k < cols; ++k) ref += w.deq[static_cast<size_t>(r * cols + k)] * activation(q, t, k);
      ASSERT_NEAR(y[static_cast<size_t>(t * rows + r)], ref, 1e-6 * std::fabs(ref) + 1e-3) << "t " << t << " r " << r;
    }
}

INSTANTIATE_TEST_SUITE_P(Kernels, GemmQ8, ::testing::ValuesIn(kKernels),
                         [](const auto& info) { return kernel_label(info.param); });

// Every kernel runs the same float operations in the same order: a model's
// outputs do not depend on which one the machine picks.
TEST(GemmQ8Dispatch, AllKernelsAreBitIdentical) {
  std::printf("[gemm_q8] dispatched kernel: %s\n", gemm_q8_kernel_name());
  std::mt19937 rng(31);
  const int64_t rows = 40, blocks = 90, cols = blocks * kQK, n = 11;
  for (WType type : {WType::kQ8_0, WType::kMXFP4}) {
    const Weights w = random_weights(type, rows, blocks, rng);
    const auto panels = pack(w, rows, cols);
    const auto x = random_activations(n, cols, rng);
    std::vector<float> want;
    for (GemmKernel k : {GemmKernel::kPortable, GemmKernel::kAvx2, GemmKernel::kAvx512Vnni}) {
      if (!gemm_q8_force_kernel(k)) continue;
      QuantizedActivations q;
      q.quantize(x.data(), n, cols);
      std::vector<float> y(static_cast<size_t>(n * rows), NAN);
      gemm(type, panels.data(), 0, rows, q, {}, y.data(), rows);
      gemm_q8_force_kernel(GemmKernel::kAuto);
      if (want.empty()) want = y;
      for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], want[i]) << kernel_label(k) << " " << i;
    }
  }
}

TEST(GemmQ8Dispatch, KernelNamesParseAndUnsupportedOnesAreRefused) {
  EXPECT_EQ(parse_gemm_kernel("avx2"), GemmKernel::kAvx2);
  EXPECT_EQ(parse_gemm_kernel("avx512vnni"), GemmKernel::kAvx512Vnni);
  EXPECT_EQ(parse_gemm_kernel("portable"), GemmKernel::kPortable);
  EXPECT_EQ(parse_gemm_kernel("auto"), GemmKernel::kAuto);
  EXPECT_FALSE(parse_gemm_kernel("sse2").has_value());
  ASSERT_TRUE(gemm_q8_force_kernel(GemmKernel::kPortable));
  EXPECT_STREQ(gemm_q8_kernel_name(), "portable");
  for (GemmKernel k : {GemmKernel::kAvx2, GemmKernel::kAvx512Vnni}) {
    if (gemm_kernel_supported(k)) continue;
    EXPECT_FALSE(gemm_q8_force_kernel(k));
    EXPECT_STREQ(gemm_q8_kernel_name(), "portable");  // unchanged
  }
  gemm_q8_force_kernel(GemmKernel::kAuto);
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

namespace sy::kernels::cpu {
namespace {

// More workers than cores: some are descheduled mid-call, join late or back
// out of a closed call; every call must still run each index exactly once and
// never touch a finished call's function.
TEST(KernelsCpuThreadPool, ManyShortCallsWithMoreThreadsThanCores) {
  ThreadPool pool(static_cast<int>(std::thread::hardware_concurrency()) * 2 + 1);
  for (int call = 0; call < 3000; ++call) {
    std::vector<int> hits(static_cast<size_t>(17 + call % 50), 0);
    pool.parallel_for(static_cast<int64_t>(hits.size()), 1 + call % 3, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) ++hits[static_cast<size_t>(i)];
    });
    for (int h : hits) ASSERT_EQ(h, 1) << "call " << call;
  }
}

}  // namespace
}  // namespace sy::kernels::cpu
