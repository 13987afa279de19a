#include <gtest/gtest.h>

#include "model_fixture.hpp"

namespace sy::local_engine::model {
namespace {

using namespace testing;

// What one sequence produced: greedy tokens and the logits each was picked from.
struct Run {
  std::vector<int32_t> tokens;
  std::vector<std::vector<float>> logits;
};

Run solo(const std::vector<int32_t>& prompt, int steps, NumericPath path, KvType kv) {
  Context ctx(tiny_model(), ContextOptions{512, kv, path}, &test_pool());
  Run run;
  std::vector<float> logits;
  if (!ctx.decode(prompt, false, logits)) return run;
  const size_t V = static_cast<size_t>(tiny_model().hparams().n_vocab);
  for (int s = 0; s < steps; ++s) {
    run.logits.push_back(logits);
    const int32_t next = argmax(logits.data(), V);
    run.tokens.push_back(next);
    if (s + 1 < steps && !ctx.decode(std::span<const int32_t>(&next, 1), false, logits)) break;
  }
  return run;
}

// Three sequences in shared steps: A and B prefill together, then decode
// together while C joins with its whole prompt at the second decode step.
std::vector<Run> batched(const std::vector<std::vector<int32_t>>& prompts, int steps, NumericPath path, KvType kv) {
  const HyperParams& hp = tiny_model().hparams();
  const size_t V = static_cast<size_t>(hp.n_vocab);
  Forward fwd(tiny_model(), path, &test_pool());
  std::vector<std::unique_ptr<Sequence>> seqs;
  for (size_t i = 0; i < prompts.size(); ++i) seqs.push_back(std::make_unique<Sequence>(hp, 512, kv, 512));
  std::vector<Run> runs(prompts.size());
  std::vector<int32_t> next(prompts.size(), -1);
  const int c_joins = 2;
  for (int step = 0; step < steps + c_joins; ++step) {
    std::vector<BatchChunk> chunks;
    std::vector<size_t> who;
    for (size_t i = 0; i < prompts.size(); ++i) {
      const int start = i == 2 ? c_joins : 0;
      if (step < start || static_cast<int>(runs[i].tokens.size()) >= steps) continue;
      if (step == start)
        chunks.push_back(BatchChunk{seqs[i].get(), prompts[i], 1});
      else
        chunks.push_back(BatchChunk{seqs[i].get(), std::span<const int32_t>(&next[i], 1), 1});
      who.push_back(i);
    }
    if (chunks.empty()) break;
    std::vector<float> logits;
    auto r = fwd.step(chunks, logits);
    EXPECT_TRUE(r) << r.error();
    if (!r) break;
    EXPECT_EQ(logits.size(), who.size() * V);
    for (size_t c = 0; c < who.size(); ++c) {
      Run& run = runs[who[c]];
      run.logits.emplace_back(logits.begin() + static_cast<long>(c * V), logits.begin() + static_cast<long>((c + 1) * V));
      next[who[c]] = argmax(run.logits.back().data(), V);
      run.tokens.push_back(next[who[c]]);
    }
  }
  return runs;
}

void expect_batched_equals_solo(NumericPath path, int steps, KvType kv = KvType::kF32) {
  const auto prompts = prompt_tokens();
  const std::vector<std::vector<int32_t>> three{prompts[1], prompts[3], prompts[5]};
  const auto got = batched(three, steps, path, kv);
  for (size_t i = 0; i < three.size(); ++i) {
    const Run want = solo(three[i], steps, path, kv);
    ASSERT_EQ(want.tokens.size(), static_cast<size_t>(steps));
    EXPECT_EQ(got[i].tokens, want.tokens) << "sequence " << i;
    ASSERT_EQ(got[i].logits.size(), want.logits.size());
    // Every activation row is computed on its own, so batching changes no bit.
    for (size_t s = 0; s < want.logits.size(); ++s) EXPECT_EQ(got[i].logits[s], want.logits[s]) << "sequence " << i << " step " << s;
  }
}

TEST(ModelBatch, BatchedSequencesMatchSoloRunsFast) { expect_batched_equals_solo(NumericPath::kFast, 12); }

TEST(ModelBatch, BatchedSequencesMatchSoloRunsReference) { expect_batched_equals_solo(NumericPath::kReference, 4); }

TEST(ModelBatch, BatchedSequencesMatchSoloRunsQ8Kv) { expect_batched_equals_solo(NumericPath::kFast, 6, KvType::kQ8_0); }

TEST(ModelBatch, StepRejectsBadChunksWithoutSideEffects) {
  const HyperParams& hp = tiny_model().hparams();
  Forward fwd(tiny_model(), NumericPath::kFast, &test_pool());
  Sequence a(hp, 16, KvType::kF32, 8), b(hp, 16, KvType::kF32, 8);
  const std::vector<int32_t> toks{976, 4853, 19705};
  std::vector<float> logits;
  const BatchChunk twice[] = {{&a, toks, 1}, {&a, toks, 1}};
  EXPECT_FALSE(fwd.step(twice, logits));
  const std::vector<int32_t> long_chunk(9, 976);
  const BatchChunk too_long[] = {{&b, toks, 1}, {&a, long_chunk, 1}};
  EXPECT_FALSE(fwd.step(too_long, logits));
  const std::vector<int32_t> bad_id{hp.n_vocab};
  const BatchChunk bad[] = {{&a, toks, 1}, {&b, bad_id, 1}};
  EXPECT_FALSE(fwd.step(bad, logits));
  EXPECT_EQ(a.n_past(), 0);
  EXPECT_EQ(b.n_past(), 0);
  EXPECT_EQ(a.kv().bytes(), 0u);  // nothing reserved for a step that did not run
}

TEST(ModelBatch, KvIsAllocatedInPagesAsTheSequenceGrows) {
  const HyperParams& hp = tiny_model().hparams();
  const int n_ctx = 1024, max_batch = 64;
  Forward fwd(tiny_model(), NumericPath::kFast, &test_pool());
  Sequence seq(hp, n_ctx, KvType::kF32, max_batch);
  EXPECT_EQ(seq.kv().bytes(), 0u);
  const size_t row_bytes = static_cast<size_t>(hp.n_head_kv * hp.head_dim) * sizeof(float);
  auto expected_bytes = [&](int positions) {
    size_t total = 0;
    for (int il = 0; il < hp.n_layer; ++il) {
      const int cap = hp.is_swa(il) ? std::min(n_ctx, hp.n_swa + max_batch) : n_ctx;
      // Equal pages of at most kPagePositions, as few as cover the layer.
      const int layer_pages = (cap + KvCache::kPagePositions - 1) / KvCache::kPagePositions;
      const int page = (cap + layer_pages - 1) / layer_pages;
      const int pages = (std::min(positions, cap) + page - 1) / page;
      total += 2 * row_bytes * static_cast<size_t>(pages * page);
    }
    return total;
  };
  std::vector<float> logits;
  const std::vector<int32_t> chunk(static_cast<size_t>(max_batch), 976);
  int fed = 0;
  for (int target : {1, 300}) {
    while (fed < target) {
      const int n = std::min(max_batch, target - fed);
      const BatchChunk c{&seq, std::span<const int32_t>(chunk).first(static_cast<size_t>(n)), 0};
      ASSERT_TRUE(fwd.step(std::span<const BatchChunk>(&c, 1), logits));
      fed += n;
    }
    EXPECT_EQ(seq.kv().bytes(), expected_bytes(target)) << target << " positions";
  }
  EXPECT_LT(seq.kv().bytes(), expected_bytes(n_ctx));
}

}  // namespace
}  // namespace sy::local_engine::model
