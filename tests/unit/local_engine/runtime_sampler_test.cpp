#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "sy/local_engine/sampler.hpp"

namespace sy::local_engine::runtime {
namespace {

SamplingParams params(float t, uint64_t seed = 1) {
  SamplingParams p;
  p.temperature = t;
  p.seed = seed;
  return p;
}

TEST(RuntimeSampler, GreedyAtZeroTemperature) {
  Sampler s(params(0.0f));
  const std::vector<float> logits{0.1f, 3.0f, -2.0f, 3.0f, 1.0f};
  EXPECT_EQ(s.sample(logits), 1);  // first of the tied maxima
}

// 1e-40 is a valid request temperature but subnormal as a float: 1 / t is
// infinite, and the weights would all be NaN.
TEST(RuntimeSampler, TemperatureTooSmallForFloatIsGreedy) {
  Sampler s(params(1e-40f));
  const std::vector<float> logits{0.1f, 2.0f, 3.0f, -1.0f, 2.9f};
  for (int i = 0; i < 20; ++i) ASSERT_EQ(s.sample(logits), 2);
  EXPECT_EQ(s.last_logprob(), 0.0f);
}

// Non-finite logits are never drawn; the rest keep their softmax shares.
TEST(RuntimeSampler, NonFiniteLogitsAreSkipped) {
  Sampler s(params(1.0f, 3));
  const std::vector<float> logits{NAN, 0.0f, INFINITY, -INFINITY, 0.0f};
  int counts[5] = {};
  for (int i = 0; i < 2000; ++i) ++counts[s.sample(logits)];
  EXPECT_EQ(counts[0] + counts[2] + counts[3], 0);
  EXPECT_NEAR(counts[1] / 2000.0, 0.5, 0.05);
  EXPECT_NEAR(s.last_logprob(), std::log(0.5), 1e-6);
}

TEST(RuntimeSampler, SeedMakesItDeterministic) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i)) * 3.0f;
  Sampler a(params(1.0f, 42)), b(params(1.0f, 42)), c(params(1.0f, 43));
  std::vector<int32_t> ra, rb, rc;
  for (int i = 0; i < 50; ++i) ra.push_back(a.sample(logits)), rb.push_back(b.sample(logits)), rc.push_back(c.sample(logits));
  EXPECT_EQ(ra, rb);
  EXPECT_NE(ra, rc);
}

TEST(RuntimeSampler, FrequenciesFollowSoftmax) {
  const std::vector<float> logits{std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  Sampler s(params(1.0f, 7));
  int counts[3] = {};
  const int n = 30000;
  for (int i = 0; i < n; ++i) counts[s.sample(logits)]++;
  EXPECT_NEAR(counts[0] / double(n), 0.5, 0.02);
  EXPECT_NEAR(counts[1] / double(n), 0.3, 0.02);
  EXPECT_NEAR(counts[2] / double(n), 0.2, 0.02);
  const int32_t t = s.sample(logits);
  const double p[3] = {0.5, 0.3, 0.2};
  EXPECT_NEAR(s.last_logprob(), std::log(p[t]), 1e-5);
}

TEST(RuntimeSampler, TruncationsRestrictTheSupport) {
  std::vector<float> logits(500, 0.0f);
  logits[10] = 5.0f;
  logits[20] = 4.5f;
  logits[30] = 4.0f;
  {
    SamplingParams p = params(1.0f);
    p.top_k = 2;
    Sampler s(p);
    for (int i = 0; i < 300; ++i) {
      int32_t t = s.sample(logits);
      ASSERT_TRUE(t == 10 || t == 20) << t;
    }
  }
  {
    SamplingParams p = params(1.0f);
    p.top_p = 0.15f;  // token 10 alone holds 18.8 % of the mass (148 of 790)
    Sampler s(p);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(s.sample(logits), 10);
  }
  {
    SamplingParams p = params(1.0f);
    p.min_p = 0.5f;  // exp(-0.5) = 0.61 and exp(-1) = 0.37 relative to the top
    Sampler s(p);
    for (int i = 0; i < 300; ++i) {
      int32_t t = s.sample(logits);
      ASSERT_TRUE(t == 10 || t == 20) << t;
    }
  }
  {
    SamplingParams p = params(100.0f);  // flat: everything is reachable
    Sampler s(p);
    bool other = false;
    for (int i = 0; i < 300; ++i) other |= (s.sample(logits) != 10 && s.sample(logits) != 20);
    EXPECT_TRUE(other);
  }
}

// Top-p over a large vocabulary: every draw lies in the nucleus a full sort
// gives (smallest set of most likely tokens holding top_p of the mass), and
// the draws spread over it in proportion to their weights.
TEST(RuntimeSampler, TopPMatchesTheSortedNucleus) {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd(0.0f, 2.0f);
  std::vector<float> logits(50000);
  for (float& l : logits) l = nd(rng);
  logits[7] = NAN;
  for (float top_p : {0.05f, 0.5f, 0.9f}) {
    SamplingParams p = params(0.8f, 5);
    p.top_p = top_p;
    Sampler s(p);
    std::vector<std::pair<double, int>> sorted;
    double total = 0;
    for (int i = 0; i < static_cast<int>(logits.size()); ++i) {
      if (!std::isfinite(logits[static_cast<size_t>(i)])) continue;
      const double w = std::exp((logits[static_cast<size_t>(i)] - 8.0) / 0.8);
      sorted.emplace_back(w, i);
      total += w;
    }
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.first > b.first; });
    std::vector<char> in(logits.size(), 0);
    double acc = 0, nucleus = 0;
    size_t k = 0;
    for (; k < sorted.size() && acc < top_p * total; ++k) acc += sorted[k].first, in[static_cast<size_t>(sorted[k].second)] = 1;
    nucleus = acc;
    double top_share = 0;  // the most likely token's share of the nucleus
    int top_hits = 0;
    const int draws = 3000;
    for (int d = 0; d < draws; ++d) {
      const int32_t t = s.sample(logits);
      ASSERT_TRUE(in[static_cast<size_t>(t)]) << "top_p " << top_p << " token " << t << " outside a nucleus of " << k;
      top_hits += t == sorted[0].second;
    }
    top_share = sorted[0].first / nucleus;
    EXPECT_NEAR(top_hits / double(draws), top_share, 4 * std::sqrt(top_share * (1 - top_share) / draws) + 1e-3)
        << "top_p " << top_p;
  }
}

TEST(RuntimeStopFilter, HoldsBackPossiblePrefixes) {
  StopSequenceFilter f({"STOP", "##"});
  EXPECT_EQ(f.push("hello S"), "hello ");
  EXPECT_EQ(f.push("T"), "");
  EXPECT_EQ(f.push("x"), "STx");  // not a stop after all
  EXPECT_EQ(f.push("a#"), "a");
  EXPECT_FALSE(f.stopped());
  EXPECT_EQ(f.push("#tail"), "");
  EXPECT_TRUE(f.stopped());
  EXPECT_EQ(f.push("more"), "");
  EXPECT_EQ(f.flush(), "");
}

TEST(RuntimeStopFilter, StopInsideOnePieceAndFlush) {
  StopSequenceFilter f({"END"});
  EXPECT_EQ(f.push("abcENDdef"), "abc");
  EXPECT_TRUE(f.stopped());
  StopSequenceFilter g({"END"});
  EXPECT_EQ(g.push("xyzE"), "xyz");
  EXPECT_EQ(g.flush(), "E");
  StopSequenceFilter none({});
  EXPECT_EQ(none.push("anything"), "anything");
}

}  // namespace
}  // namespace sy::local_engine::runtime
