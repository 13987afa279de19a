#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "sy/kernels/cpu/attention.hpp"
#include "simd_path_fixture.hpp"

namespace sy::kernels::cpu {
namespace {

struct Case {
  int D, n, row_floats;
  int64_t offset;
};

// Keys and values in scattered rows (like KV pages), the head's slice at `offset`.
struct Rows {
  std::vector<std::vector<float>> k, v;
  std::vector<const float*> kp, vp;
};

Rows random_rows(const Case& c, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.0f, 1.0f);
  Rows r;
  for (int j = 0; j < c.n; ++j) {
    r.k.emplace_back(static_cast<size_t>(c.row_floats));
    r.v.emplace_back(static_cast<size_t>(c.row_floats));
    for (float& x : r.k.back()) x = nd(rng);
    for (float& x : r.v.back()) x = nd(rng);
  }
  for (int j = 0; j < c.n; ++j) {
    r.kp.push_back(r.k[static_cast<size_t>(j)].data());
    r.vp.push_back(r.v[static_cast<size_t>(j)].data());
  }
  return r;
}

std::vector<double> reference(const std::vector<float>& q, const Rows& r, const Case& c, double scale, double sink) {
  std::vector<double> s(static_cast<size_t>(c.n));
  double m = sink;
  for (int j = 0; j < c.n; ++j) {
    double d = 0;
    for (int i = 0; i < c.D; ++i) d += static_cast<double>(q[static_cast<size_t>(i)]) * r.kp[static_cast<size_t>(j)][c.offset + i];
    s[static_cast<size_t>(j)] = d * scale;
    m = std::max(m, s[static_cast<size_t>(j)]);
  }
  double sum = std::exp(sink - m);
  for (double& x : s) sum += (x = std::exp(x - m));
  std::vector<double> out(static_cast<size_t>(c.D), 0.0);
  for (int j = 0; j < c.n; ++j)
    for (int i = 0; i < c.D; ++i) out[static_cast<size_t>(i)] += s[static_cast<size_t>(j)] / sum * r.vp[static_cast<size_t>(j)][c.offset + i];
  return out;
}

class AttentionHeads : public ForcedSimdPath {};

std::vector<float> random_vector(size_t n, std::mt19937& rng, float sd = 1.0f) {
  std::normal_distribution<float> nd(0.0f, sd);
  std::vector<float> v(n);
  for (float& x : v) x = nd(rng);
  return v;
}

// G query heads over one KV head; n covers partial, whole and several
// 16-position blocks; D includes one no SIMD path takes (24).
TEST_P(AttentionHeads, MatchesDoubleReferenceWithSinks) {
  std::mt19937 rng(3);
  for (const Case& c : {Case{64, 1, 512, 448}, Case{64, 300, 512, 64}, Case{32, 17, 32, 0}, Case{24, 9, 48, 24},
                        Case{128, 40, 256, 128}, Case{64, 16, 64, 0}, Case{16, 33, 16, 0}}) {
    const Rows r = random_rows(c, rng);
    for (int G : {1, 3, 8}) {
      const auto q = random_vector(static_cast<size_t>(G * c.D), rng);
      // Per head, from negligible to taking most of the mass.
      std::vector<float> sinks(static_cast<size_t>(G));
      for (int g = 0; g < G; ++g) sinks[static_cast<size_t>(g)] = std::array{-30.0f, 0.5f, 8.0f}[static_cast<size_t>(g % 3)];
      std::vector<float> scores(static_cast<size_t>(G * c.n)), out(static_cast<size_t>(G * c.D), NAN);
      const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
      attention_heads(q.data(), G, r.kp.data(), r.vp.data(), c.offset, c.n, c.D, scale, sinks.data(), scores.data(),
                      out.data());
      for (int g = 0; g < G; ++g) {
        const std::vector<float> qg(q.begin() + g * c.D, q.begin() + (g + 1) * c.D);
        const auto want = reference(qg, r, c, scale, sinks[static_cast<size_t>(g)]);
        for (int i = 0; i < c.D; ++i)
          ASSERT_NEAR(out[static_cast<size_t>(g * c.D + i)], want[static_cast<size_t>(i)], 1e-5)
              << "D " << c.D << " n " << c.n << " G " << G << " g " << g << " i " << i;
      }
    }
  }
}

// Scores far below the max (exp underflow, the -86 cut-off) and large ones.
TEST_P(AttentionHeads, WideScoreRangesStayFinite) {
  std::mt19937 rng(4);
  const Case c{64, 50, 64, 0};
  Rows r = random_rows(c, rng);
  for (int j = 0; j < c.n; ++j)
    for (float& x : r.k[static_cast<size_t>(j)]) x *= static_cast<float>(j % 7) * 4.0f;  // scores up to ~±150
  const auto q = random_vector(64, rng, 2.0f);
  const float sink = 0.0f;
  std::vector<float> scores(50), out(64, NAN);
  attention_heads(q.data(), 1, r.kp.data(), r.vp.data(), 0, c.n, c.D, 0.125f, &sink, scores.data(), out.data());
  const auto want = reference(q, r, c, 0.125, sink);
  for (int i = 0; i < 64; ++i) ASSERT_NEAR(out[static_cast<size_t>(i)], want[static_cast<size_t>(i)], 1e-5) << i;
}

INSTANTIATE_TEST_SUITE_P(Kernels, AttentionHeads, kAllSimdPaths, simd_param_name);

// Grouped heads give each head exactly what it gets alone, and every path
// matches the portable one bit for bit.
TEST(AttentionHeadsDispatch, PathsAndGroupingAreBitIdentical) {
  std::mt19937 rng(9);
  for (const Case& c : {Case{64, 200, 512, 192}, Case{64, 37, 64, 0}, Case{128, 21, 128, 0}}) {
    const Rows r = random_rows(c, rng);
    const int G = 8;
    const auto q = random_vector(static_cast<size_t>(G * c.D), rng);
    const auto sinks = random_vector(G, rng);
    std::vector<float> scores(static_cast<size_t>(G * c.n)), simd(static_cast<size_t>(G * c.D)), portable(simd.size());
    ASSERT_TRUE(force_simd_path(SimdPath::kPortable));
    attention_heads(q.data(), G, r.kp.data(), r.vp.data(), c.offset, c.n, c.D, 0.125f, sinks.data(), scores.data(),
                    portable.data());
    for (SimdPath k : {SimdPath::kAvx2, SimdPath::kAvx512}) {
      if (!force_simd_path(k)) continue;
      attention_heads(q.data(), G, r.kp.data(), r.vp.data(), c.offset, c.n, c.D, 0.125f, sinks.data(), scores.data(),
                      simd.data());
      for (size_t i = 0; i < simd.size(); ++i)
        ASSERT_EQ(simd[i], portable[i]) << simd_path_label(k) << " D " << c.D << " " << i;
    }
    force_simd_path(SimdPath::kAuto);
    attention_heads(q.data(), G, r.kp.data(), r.vp.data(), c.offset, c.n, c.D, 0.125f, sinks.data(), scores.data(),
                    simd.data());
    for (int g = 0; g < G; ++g) {
      std::vector<float> alone(static_cast<size_t>(c.D));
      attention_heads(q.data() + g * c.D, 1, r.kp.data(), r.vp.data(), c.offset, c.n, c.D, 0.125f,
                      &sinks[static_cast<size_t>(g)], scores.data(), alone.data());
      for (int i = 0; i < c.D; ++i) ASSERT_EQ(alone[static_cast<size_t>(i)], simd[static_cast<size_t>(g * c.D + i)]);
    }
  }
}

}  // namespace
}  // namespace sy::kernels::cpu
