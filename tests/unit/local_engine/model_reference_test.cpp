#include <gtest/gtest.h>

#include <cmath>

#include "model_fixture.hpp"

namespace sy::local_engine::model {
namespace {

using namespace testing;

TEST(ModelReference, LogitsMatchF64ReferenceAtEveryPosition) {
  const auto& ours = all_logits(NumericPath::kReference);
  const auto ref = load_json("ref_f64_logits_topk.json");
  const size_t V = static_cast<size_t>(tiny_model().hparams().n_vocab);
  double max_topk = 0.0, max_last = 0.0;
  int positions = 0, top1_equal = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    const auto& topk = ref["prompts"][i]["topk"];
    ASSERT_EQ(ours[i].size(), topk.size() * V);
    for (size_t p = 0; p < topk.size(); ++p) {
      const float* row = ours[i].data() + p * V;
      for (const auto& pair : topk[p]) {
        const int id = pair[0].get<int>();
        max_topk = std::max(max_topk, std::fabs(row[id] - pair[1].get<double>()));
      }
      ++positions;
      if (argmax(row, V) == topk[p][0][0].get<int>()) ++top1_equal;
    }
    const auto last = load_f32("ref_f64_logits_last_" + std::to_string(i) + ".f32");
    ASSERT_EQ(last.size(), V);
    const float* row = ours[i].data() + (topk.size() - 1) * V;
    for (size_t j = 0; j < V; ++j) max_last = std::max(max_last, std::fabs(static_cast<double>(row[j]) - last[j]));
  }
  std::printf("[reference vs f64] positions %d, top-1 equal %d, max |diff| top-20 %.3g, full last vectors %.3g\n",
              positions, top1_equal, max_topk, max_last);
  EXPECT_EQ(positions, 337);
  EXPECT_EQ(top1_equal, positions);
  EXPECT_LE(max_topk, 1e-3);
  EXPECT_LE(max_last, 1e-3);
}

TEST(ModelReference, GreedyMatchesF64Reference) {
  const auto ref = load_json("ref_f64_greedy.json");
  const auto prompts = prompt_tokens();
  for (const auto& run : ref["runs"]) {
    const auto want = run["tokens"].get<std::vector<int32_t>>();
    const auto got = greedy(prompts[run["prompt_id"].get<size_t>()], static_cast<int>(want.size()), NumericPath::kReference);
    EXPECT_EQ(got, want) << "prompt " << run["prompt_id"];
  }
}

TEST(ModelReference, IncrementalDecodeEqualsFullPrefill) {
  const auto prompts = prompt_tokens();
  const auto& full = all_logits(NumericPath::kReference);
  const size_t V = static_cast<size_t>(tiny_model().hparams().n_vocab);
  double max_diff = 0.0;
  for (size_t i : {size_t{5}, size_t{7}}) {  // 33 and 200 tokens: crosses the sliding window many times
    const auto& toks = prompts[i];
    const size_t k = toks.size() / 3;
    Context ctx(tiny_model(), ContextOptions{1024, KvType::kF32, NumericPath::kReference}, &test_pool());
    std::vector<float> logits;
    ASSERT_TRUE(ctx.decode(std::span(toks.data(), k), true, logits));
    for (size_t p = 0; p < k; ++p)
      for (size_t j = 0; j < V; ++j) max_diff = std::max(max_diff, std::fabs(static_cast<double>(logits[p * V + j]) - full[i][p * V + j]));
    for (size_t p = k; p < toks.size(); ++p) {
      ASSERT_TRUE(ctx.decode(std::span(toks.data() + p, 1), false, logits));
      for (size_t j = 0; j < V; ++j) max_diff = std::max(max_diff, std::fabs(static_cast<double>(logits[j]) - full[i][p * V + j]));
    }
    EXPECT_EQ(ctx.n_past(), static_cast<int>(toks.size()));
  }
  std::printf("[incremental vs prefill] max |diff| %.3g\n", max_diff);
  EXPECT_LE(max_diff, 1e-4);
}

TEST(ModelReference, F16KvStaysClose) {
  const auto prompts = prompt_tokens();
  const auto& full = all_logits(NumericPath::kReference);
  const size_t V = static_cast<size_t>(tiny_model().hparams().n_vocab);
  Context ctx(tiny_model(), ContextOptions{256, KvType::kF16, NumericPath::kReference}, &test_pool());
  std::vector<float> logits;
  ASSERT_TRUE(ctx.decode(prompts[6], false, logits));
  double max_diff = 0.0;
  const float* want = full[6].data() + (prompts[6].size() - 1) * V;
  for (size_t j = 0; j < V; ++j) max_diff = std::max(max_diff, std::fabs(static_cast<double>(logits[j]) - want[j]));
  EXPECT_GT(max_diff, 0.0);  // the cache really is rounded
  EXPECT_LE(max_diff, 0.3);  // llama.cpp's own F16-vs-F32 KV envelope is <= 0.23
  EXPECT_EQ(ctx.kv_bytes(), 2u * 4u * 256u * 32u * 2u);
}

TEST(ModelReference, Q8KvStaysClose) {
  const auto prompts = prompt_tokens();
  const auto& full = all_logits(NumericPath::kReference);
  const size_t V = static_cast<size_t>(tiny_model().hparams().n_vocab);
  double worst = 0.0;
  for (size_t i : {size_t{4}, size_t{6}}) {
    Context ctx(tiny_model(), ContextOptions{256, KvType::kQ8_0, NumericPath::kReference}, &test_pool());
    std::vector<float> logits;
    ASSERT_TRUE(ctx.decode(prompts[i], false, logits));
    const float* want = full[i].data() + (prompts[i].size() - 1) * V;
    double max_diff = 0.0;
    for (size_t j = 0; j < V; ++j) max_diff = std::max(max_diff, std::fabs(static_cast<double>(logits[j]) - want[j]));
    EXPECT_GT(max_diff, 0.0);
    worst = std::max(worst, max_diff);
    EXPECT_EQ(ctx.kv_bytes(), 2u * 4u * 256u * 34u);  // one Q8_0 block per K row and per V row
  }
  std::printf("[q8_0 KV vs f32 KV] max |diff| %.3g\n", worst);
  EXPECT_LE(worst, 0.5);
}

TEST(ModelContext, RejectsBadInput) {
  Context ctx(tiny_model(), ContextOptions{4, KvType::kF32, NumericPath::kFast}, nullptr);
  std::vector<float> logits;
  const std::vector<int32_t> bad{-1}, big{201088}, many{1, 2, 3, 4, 5};
  EXPECT_FALSE(ctx.decode(bad, false, logits));
  EXPECT_FALSE(ctx.decode(big, false, logits));
  auto r = ctx.decode(many, false, logits);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("context overflow"), std::string::npos);
  EXPECT_FALSE(ctx.decode(std::vector<int32_t>{}, false, logits));
  EXPECT_EQ(ctx.n_past(), 0);
}

}  // namespace
}  // namespace sy::local_engine::model

namespace sy::local_engine::model {
namespace {

using namespace testing;

TEST(ModelContext, SmallBatchesAndSlidingWindowRingsMatchFullPrefill) {
  const auto prompts = prompt_tokens();
  const auto& full = all_logits(NumericPath::kReference);
  ContextOptions o{1024, KvType::kF32, NumericPath::kReference};
  o.max_batch = 5;  // SWA layers keep only 8 + 5 positions
  Context ctx(tiny_model(), o, &test_pool());
  std::vector<float> logits, margins;
  ctx.set_router_margin_sink(&margins);
  ASSERT_TRUE(ctx.decode(prompts[7], true, logits));
  EXPECT_EQ(margins.size(), prompts[7].size());
  ASSERT_EQ(logits.size(), full[7].size());
  double max_diff = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) max_diff = std::max(max_diff, std::fabs(double(logits[i]) - full[7][i]));
  EXPECT_LE(max_diff, 1e-4);
  // KV is allocated as positions are used: 2 full layers hold one 256-position
  // page for 200 tokens, 2 SWA rings hold 13 positions; 32 floats a row, K and V.
  static_assert(KvCache::kPagePositions == 256);
  EXPECT_EQ(ctx.kv_bytes(), 2u * 256u * 32u * 4u * 2u + 2u * 13u * 32u * 4u * 2u);
}

TEST(ModelContext, TruncateKeepsOnlyRecoverablePrefixes) {
  const auto prompts = prompt_tokens();
  const auto& full = all_logits(NumericPath::kReference);
  const size_t V = static_cast<size_t>(tiny_model().hparams().n_vocab);
  const auto& toks = prompts[7];
  ContextOptions o{1024, KvType::kF32, NumericPath::kReference};
  o.max_batch = 4;  // ring of 12 positions on SWA layers
  Context ctx(tiny_model(), o, &test_pool());
  std::vector<float> logits;
  ASSERT_TRUE(ctx.decode(std::span(toks.data(), 50), false, logits));
  EXPECT_EQ(ctx.truncate(47), 47);  // needs positions >= 40, ring holds 38..49
  ASSERT_TRUE(ctx.decode(std::span(toks.data() + 47, 3), false, logits));
  double max_diff = 0.0;
  for (size_t j = 0; j < V; ++j) max_diff = std::max(max_diff, std::fabs(double(logits[j]) - full[7][49 * V + j]));
  EXPECT_LE(max_diff, 1e-4);
  EXPECT_EQ(ctx.truncate(20), 0);  // positions 13..19 were overwritten
  EXPECT_EQ(ctx.n_past(), 0);
}

}  // namespace
}  // namespace sy::local_engine::model
