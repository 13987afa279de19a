#include <gtest/gtest.h>

#include <cmath>

#include "model_fixture.hpp"

namespace sy::local_engine::model {
namespace {

using namespace testing;

TEST(ModelFast, LogitsMatchLlamaCppWhereRoutingIsUnambiguous) {
  const auto& ours = all_logits(NumericPath::kFast);
  const auto ref = load_json("logits_topk.json");
  const size_t V = static_cast<size_t>(tiny_model().hparams().n_vocab);
  double max_topk = 0.0, max_last = 0.0;
  int checked = 0, skipped = 0, top1_checked = 0, top1_equal = 0, within_1e4 = 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    const auto& pr = ref["prompts"][i];
    const auto& topk = pr["topk"];
    const auto margins = pr["min_router_margin"].get<std::vector<double>>();
    for (size_t p = 0; p < topk.size(); ++p) {
      const float* row = ours[i].data() + p * V;
      if (margins[p] <= 0.05) {
        ++skipped;
        continue;
      }
      ++checked;
      double pos_max = 0.0;
      for (const auto& pair : topk[p]) pos_max = std::max(pos_max, std::fabs(row[pair[0].get<int>()] - pair[1].get<double>()));
      max_topk = std::max(max_topk, pos_max);
      if (pos_max <= 1e-4) ++within_1e4;
      const double margin = topk[p][0][1].get<double>() - topk[p][1][1].get<double>();
      if (margin > 0.5) {
        ++top1_checked;
        if (argmax(row, V) == topk[p][0][0].get<int>()) ++top1_equal;
      }
    }
    if (margins.back() > 0.05) {
      const auto last = load_f32("logits_last_" + std::to_string(i) + ".f32");
      const float* row = ours[i].data() + (topk.size() - 1) * V;
      for (size_t j = 0; j < V; ++j) max_last = std::max(max_last, std::fabs(static_cast<double>(row[j]) - last[j]));
    }
  }
  std::printf("[fast vs llama.cpp] checked %d positions (skipped %d near-tie), %d within 1e-4; max |diff| top-20 %.3g, "
              "full last %.3g; top-1 %d/%d\n",
              checked, skipped, within_1e4, max_topk, max_last, top1_equal, top1_checked);
  EXPECT_GE(checked, 250);  // 70 of 337 positions have a routing near-tie in some layer
  EXPECT_LE(max_topk, 0.3);
  EXPECT_LE(max_last, 0.3);
  EXPECT_EQ(top1_equal, top1_checked);
}

TEST(ModelFast, GreedyMatchesLlamaCppUntilFirstCloseCall) {
  const auto ref = load_json("greedy.json");
  const auto prompts = prompt_tokens();
  for (const auto& run : ref["runs"]) {
    const auto want = run["tokens"].get<std::vector<int32_t>>();
    const auto margins = run["margins"].get<std::vector<double>>();
    const auto got = greedy(prompts[run["prompt_id"].get<size_t>()], static_cast<int>(want.size()), NumericPath::kFast);
    ASSERT_EQ(got.size(), want.size());
    size_t s = 0;
    for (; s < want.size() && margins[s] >= 0.5; ++s) EXPECT_EQ(got[s], want[s]) << "prompt " << run["prompt_id"] << " step " << s;
    size_t same = 0;
    while (same < want.size() && got[same] == want[same]) ++same;
    std::printf("[fast greedy] prompt %d: %zu steps required equal, %zu/%zu leading steps equal\n", run["prompt_id"].get<int>(), s,
                same, want.size());
  }
}

}  // namespace
}  // namespace sy::local_engine::model

namespace sy::local_engine::model {
namespace {

TEST(ModelFast, RouterMarginsMatchLlamaCpp) {
  using namespace testing;
  const auto ref = load_json("logits_topk.json");
  const auto prompts = prompt_tokens();
  double max_diff = 0.0;
  for (size_t i : {size_t{4}, size_t{6}}) {
    Context ctx(tiny_model(), ContextOptions{256, KvType::kF32, NumericPath::kFast}, &test_pool());
    std::vector<float> margins, logits;
    ctx.set_router_margin_sink(&margins);
    ASSERT_TRUE(ctx.decode(prompts[i], false, logits));
    const auto want = ref["prompts"][i]["min_router_margin"].get<std::vector<double>>();
    ASSERT_EQ(margins.size(), want.size());
    for (size_t p = 0; p < want.size(); ++p) max_diff = std::max(max_diff, std::fabs(margins[p] - want[p]));
  }
  EXPECT_LE(max_diff, 1e-4);
}

}  // namespace
}  // namespace sy::local_engine::model
