#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "sy/kernels/cpu/attention.hpp"

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

class AttentionHead : public ::testing::TestWithParam<bool> {  // param: force the portable path
 protected:
  void SetUp() override { attention_force_portable(GetParam()); }
  void TearDown() override { attention_force_portable(false); }
};

TEST_P(AttentionHead, MatchesDoubleReferenceWithSink) {
  std::mt19937 rng(3);
  for (const Case& c : {Case{64, 1, 512, 448}, Case{64, 300, 512, 64}, Case{32, 17, 32, 0}, Case{24, 9, 48, 24},
                        Case{128, 40, 256, 128}}) {
    const Rows r = random_rows(c, rng);
    std::vector<float> q(static_cast<size_t>(c.D));
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (float& x : q) x = nd(rng);
    for (float sink : {-30.0f, 0.5f, 8.0f}) {  // from negligible to taking most of the mass
      std::vector<float> scores(static_cast<size_t>(c.n)), out(static_cast<size_t>(c.D), NAN);
      const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
      attention_head(q.data(), r.kp.data(), r.vp.data(), c.offset, c.n, c.D, scale, sink, scores.data(), out.data());
      const auto want = reference(q, r, c, scale, sink);
      for (int i = 0; i < c.D; ++i)
        ASSERT_NEAR(out[static_cast<size_t>(i)], want[static_cast<size_t>(i)], 1e-5)
            << "D " << c.D << " n " << c.n << " sink " << sink << " i " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, AttentionHead, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? std::string("Portable") : std::string("Dispatched"); });

TEST(AttentionHeadDispatch, SimdAndPortableAreBitIdentical) {
  std::mt19937 rng(9);
  const Case c{64, 200, 512, 192};
  const Rows r = random_rows(c, rng);
  std::vector<float> q(64);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (float& x : q) x = nd(rng);
  std::vector<float> scores(200), simd(64), portable(64);
  attention_head(q.data(), r.kp.data(), r.vp.data(), c.offset, c.n, c.D, 0.125f, 1.0f, scores.data(), simd.data());
  attention_force_portable(true);
  attention_head(q.data(), r.kp.data(), r.vp.data(), c.offset, c.n, c.D, 0.125f, 1.0f, scores.data(), portable.data());
  attention_force_portable(false);
  for (int i = 0; i < 64; ++i) ASSERT_EQ(simd[static_cast<size_t>(i)], portable[static_cast<size_t>(i)]) << i;
}

}  // namespace
}  // namespace sy::kernels::cpu
