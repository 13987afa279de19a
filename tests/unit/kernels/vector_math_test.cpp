#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "sy/kernels/common/fp.hpp"
#include "simd_path_fixture.hpp"
#include "sy/kernels/cpu/vector_math.hpp"

namespace sy::kernels::cpu {
namespace {

class VectorMath : public ForcedSimdPath {};

// In double, from the float gate/up and the float exponent argument the
// definition computes (its own rounding is the float's, not the kernel's).
double swiglu_ref(float gate, float up) {
  const float g = std::min(gate, 7.0f), u = std::clamp(up, -7.0f, 7.0f);
  const double z = std::exp(static_cast<double>(-1.702f * std::fabs(g)));
  return g * (g >= 0 ? 1.0 / (1.0 + z) : z / (1.0 + z)) * (u + 1.0);
}

// Odd lengths (vector tails), gates from far negative to past the clamp.
TEST_P(VectorMath, SwigluRowsMatchTheDefinition) {
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 6.0f);
  for (int64_t n : {1, 7, 8, 15, 16, 17, 100}) {
    std::vector<float> g(static_cast<size_t>(n)), u(g.size()), gb(g.size()), ub(g.size()), out(g.size(), NAN);
    for (size_t i = 0; i < g.size(); ++i) g[i] = nd(rng), u[i] = nd(rng), gb[i] = nd(rng) / 4, ub[i] = nd(rng) / 4;
    swiglu_rows(g.data(), u.data(), gb.data(), ub.data(), n, out.data());
    for (size_t i = 0; i < g.size(); ++i) {
      const double want = swiglu_ref(g[i] + gb[i], u[i] + ub[i]);
      ASSERT_NEAR(out[i], want, 1e-6 * std::fabs(want) + 1e-30) << "n " << n << " i " << i;
    }
  }
}

TEST_P(VectorMath, SoftmaxWeightsMatchExpAndSkipNonFinite) {
  std::mt19937 rng(2);
  std::normal_distribution<float> nd(0.0f, 8.0f);
  for (int64_t n : {1, 9, 16, 33, 1000}) {
    std::vector<float> x(static_cast<size_t>(n)), w(x.size(), NAN);
    for (float& v : x) v = nd(rng);
    if (n > 5) x[3] = NAN, x[5] = -INFINITY;
    if (n > 9) x[9] = INFINITY;  // skipped, not the max
    float max = -INFINITY;
    for (float v : x)
      if (std::isfinite(v)) max = std::max(max, v);
    const double total = softmax_weights(x.data(), n, max, 0.7f, w.data());
    double want_total = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = std::isfinite(x[i]) ? std::exp(static_cast<double>((x[i] - max) * 0.7f)) : 0.0;
      ASSERT_NEAR(w[i], want, 3e-7 * want) << "n " << n << " i " << i;
      want_total += w[i];
    }
    EXPECT_NEAR(total, want_total, 1e-12 * want_total);
  }
}

TEST_P(VectorMath, FiniteMaxSkipsNanAndInfinities) {
  std::mt19937 rng(4);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (int64_t n : {1, 7, 8, 9, 16, 17, 1001}) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = nd(rng);
    x.back() = INFINITY;  // never the answer
    if (n > 2) x[1] = NAN;
    float finite_want = -INFINITY;
    for (float v : x)
      if (std::isfinite(v)) finite_want = std::max(finite_want, v);
    EXPECT_EQ(finite_max(x.data(), n, -INFINITY), finite_want) << "n " << n;
    EXPECT_EQ(finite_max(x.data(), n, 100.0f), 100.0f) << "n " << n;  // init above every element
  }
  const float none[3] = {NAN, INFINITY, -INFINITY};
  EXPECT_EQ(finite_max(none, 3, -INFINITY), -INFINITY);
}

INSTANTIATE_TEST_SUITE_P(Kernels, VectorMath, kAllSimdPaths, simd_param_name);

// The SIMD paths do the scalar operations lane by lane: same bits everywhere.
TEST(VectorMathPaths, AreBitIdentical) {
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 5.0f);
  const int64_t n = 2891;
  std::vector<float> g(static_cast<size_t>(n)), u(g.size()), gb(g.size()), ub(g.size());
  for (size_t i = 0; i < g.size(); ++i) g[i] = nd(rng), u[i] = nd(rng), gb[i] = nd(rng), ub[i] = nd(rng);
  std::vector<float> want_act(g.size()), want_w(g.size()), act(g.size()), w(g.size());
  ASSERT_TRUE(force_simd_path(SimdPath::kPortable));
  swiglu_rows(g.data(), u.data(), gb.data(), ub.data(), n, want_act.data());
  const double want_total = softmax_weights(g.data(), n, 25.0f, 1.3f, want_w.data());
  const float want_max = finite_max(u.data(), n, -INFINITY);
  for (SimdPath p : {SimdPath::kAvx2, SimdPath::kAvx512}) {
    if (!force_simd_path(p)) continue;
    swiglu_rows(g.data(), u.data(), gb.data(), ub.data(), n, act.data());
    const double total = softmax_weights(g.data(), n, 25.0f, 1.3f, w.data());
    EXPECT_EQ(finite_max(u.data(), n, -INFINITY), want_max) << simd_path_label(p);
    for (size_t i = 0; i < g.size(); ++i) {
      ASSERT_EQ(f32_bits(act[i]), f32_bits(want_act[i])) << simd_path_label(p) << " swiglu " << i;
      ASSERT_EQ(f32_bits(w[i]), f32_bits(want_w[i])) << simd_path_label(p) << " weight " << i;
    }
    EXPECT_EQ(total, want_total) << simd_path_label(p);
  }
  force_simd_path(SimdPath::kAuto);
}

}  // namespace
}  // namespace sy::kernels::cpu
