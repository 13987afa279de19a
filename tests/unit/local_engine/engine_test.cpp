#include <gtest/gtest.h>

#include <thread>

#include "model_fixture.hpp"
#include "sy/local_engine/engine_impl.hpp"

namespace sy::local_engine {
namespace {

using model::testing::load_json;
using model::testing::tiny_dir;

EngineOptions tiny_options() {
  EngineOptions o;
  o.model_name = "tiny";
  o.model_path = tiny_dir() + "tiny-gpt-oss.gguf";
  o.context_tokens = 1024;
  o.threads = 2;
  return o;
}

CpuEngine& tiny_engine() {
  static std::unique_ptr<CpuEngine> e = [] {
    auto r = CpuEngine::create(tiny_options());
    if (!r) throw std::runtime_error(r.error());
    return std::move(*r);
  }();
  return *e;
}

SamplingParams greedy_params(int max_tokens) {
  SamplingParams p;
  p.temperature = 0.0f;
  p.max_tokens = max_tokens;
  return p;
}

TEST(EngineLoad, RejectsBadOptions) {
  auto o = tiny_options();
  o.backend = "tpu";
  EXPECT_FALSE(Engine::load(o));
  o = tiny_options();
  o.numeric_path = "fastest";
  EXPECT_FALSE(Engine::load(o));
  o = tiny_options();
  o.model_path = "/nonexistent.gguf";
  auto r = Engine::load(o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("/nonexistent.gguf"), std::string::npos);
}

TEST(EngineGenerate, GreedyMatchesLlamaCppAndReusesPrefix) {
  const auto greedy = load_json("greedy.json");
  const auto prompts = model::testing::prompt_tokens();
  CpuEngine& e = tiny_engine();
  for (const auto& run : greedy["runs"]) {
    const auto& prompt = prompts[run["prompt_id"].get<size_t>()];
    const auto want = run["tokens"].get<std::vector<int32_t>>();
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::vector<int32_t> streamed;
      auto r = e.generate(prompt, greedy_params(static_cast<int>(want.size())), [&](const GenerateEvent& ev) {
        streamed.push_back(ev.token);
        return true;
      });
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->tokens, streamed);
      const size_t n = std::min(r->tokens.size(), want.size());
      EXPECT_EQ(std::vector<int32_t>(r->tokens.begin(), r->tokens.begin() + static_cast<long>(n)),
                std::vector<int32_t>(want.begin(), want.begin() + static_cast<long>(n)));
      if (attempt == 1) {
        EXPECT_EQ(r->cached_prompt_tokens, static_cast<int>(prompt.size()) - 1);
      }
    }
  }
}

TEST(EngineGenerate, CancellationStopsGeneration) {
  CpuEngine& e = tiny_engine();
  const std::vector<int32_t> prompt{976, 4853, 19705};
  int seen = 0;
  auto r = e.generate(prompt, greedy_params(50), [&](const GenerateEvent&) { return ++seen < 3; });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->finish_reason, "cancelled");
  EXPECT_EQ(r->tokens.size(), 3u);
  std::atomic<bool> cancel{true};
  auto c = e.generate(prompt, greedy_params(50), [&](const GenerateEvent&) { return true; }, &cancel);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->finish_reason, "cancelled");
  EXPECT_TRUE(c->tokens.empty());
}

TEST(EngineGenerate, ContextOverflowIsAnError) {
  auto o = tiny_options();
  o.context_tokens = 16;
  auto e = CpuEngine::create(o);
  ASSERT_TRUE(e);
  std::vector<int32_t> prompt(20, 976);
  auto r = (*e)->generate(prompt, greedy_params(4), [](const GenerateEvent&) { return true; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EngineError::Code::kContextOverflow);
  // max_tokens is capped by the space left in the context
  std::vector<int32_t> short_prompt(10, 976);
  auto s = (*e)->generate(short_prompt, greedy_params(100), [](const GenerateEvent&) { return true; });
  ASSERT_TRUE(s);
  EXPECT_LE(s->tokens.size(), 6u);
}

TEST(EngineChat, CountsTokensAndStreamsDeltas) {
  CpuEngine& e = tiny_engine();
  e.set_render_date("2025-08-05");
  EXPECT_EQ(e.model_name(), "tiny");
  EXPECT_EQ(e.count_tokens(" Hello"), 1);
  ChatCompletionRequest req;
  req.messages.push_back(ChatMessage{"user", "Hello there", {}, {}, {}, {}});
  req.sampling = greedy_params(12);
  std::string streamed_content, streamed_reasoning;
  auto r = e.chat(req, [&](const ChatDelta& d) {
    if (d.kind == DeltaKind::kContent) streamed_content += d.text;
    if (d.kind == DeltaKind::kReasoning) streamed_reasoning += d.text;
    return true;
  });
  ASSERT_TRUE(r) << r.error().message;
  auto rendered = harmony::render_chat(req, e.tokenizer(), harmony::RenderOptions{"2025-08-05", ""});
  ASSERT_TRUE(rendered);
  EXPECT_EQ(r->prompt_tokens, static_cast<int>(rendered->token_ids.size()));
  EXPECT_GE(r->completion_tokens, 1);
  EXPECT_LE(r->completion_tokens, 12);
  EXPECT_EQ(r->content, streamed_content);
  EXPECT_EQ(r->reasoning_content, streamed_reasoning);
  if (r->completion_tokens == 12) {
    EXPECT_EQ(r->finish_reason, "length");
  }
  const auto stats = e.stats();
  EXPECT_EQ(stats.active_sequences, 0);
  EXPECT_GT(stats.kv_bytes_used, 0u);
  EXPECT_GT(stats.recent_prefill_tok_s, 0.0);
}

TEST(EngineChat, ConcurrentCallersAreBatchedAndDeterministic) {
  CpuEngine& e = tiny_engine();
  ChatCompletionRequest a, b;
  a.messages.push_back(ChatMessage{"user", "first question", {}, {}, {}, {}});
  b.messages.push_back(ChatMessage{"user", "a different one", {}, {}, {}, {}});
  a.sampling = b.sampling = greedy_params(6);
  auto solo_a = e.chat(a, [](const ChatDelta&) { return true; });
  auto solo_b = e.chat(b, [](const ChatDelta&) { return true; });
  ASSERT_TRUE(solo_a && solo_b);
  std::expected<ChatCompletionResult, EngineError> ra, rb;
  std::thread ta([&] { ra = e.chat(a, [](const ChatDelta&) { return true; }); });
  std::thread tb([&] { rb = e.chat(b, [](const ChatDelta&) { return true; }); });
  ta.join();
  tb.join();
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->content + "|" + ra->reasoning_content, solo_a->content + "|" + solo_a->reasoning_content);
  EXPECT_EQ(rb->content + "|" + rb->reasoning_content, solo_b->content + "|" + solo_b->reasoning_content);
  EXPECT_EQ(ra->completion_tokens, solo_a->completion_tokens);
}

TEST(EngineChat, PresetCancelReturnsCancelled) {
  CpuEngine& e = tiny_engine();
  ChatCompletionRequest req;
  req.messages.push_back(ChatMessage{"user", "hi", {}, {}, {}, {}});
  req.sampling = greedy_params(5);
  std::atomic<bool> cancel{true};
  auto r = e.chat(req, [](const ChatDelta&) { return true; }, &cancel);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->finish_reason, "cancelled");
  EXPECT_EQ(r->completion_tokens, 0);
}

}  // namespace
}  // namespace sy::local_engine

namespace sy::local_engine {
namespace {

TEST(EngineChat, SecondTurnReusesFirstTurnKv) {
  CpuEngine& e = tiny_engine();
  e.set_render_date("2025-08-05");
  ChatCompletionRequest t1;
  t1.messages.push_back(ChatMessage{"system", "Be brief.", {}, {}, {}, {}});
  t1.messages.push_back(ChatMessage{"user", "What is the capital of France?", {}, {}, {}, {}});
  t1.sampling = greedy_params(6);
  auto r1 = e.chat(t1, [](const ChatDelta&) { return true; });
  ASSERT_TRUE(r1) << r1.error().message;
  ChatCompletionRequest t2 = t1;
  t2.messages.push_back(ChatMessage{"assistant", "Paris.", {}, {}, {}, {}});
  t2.messages.push_back(ChatMessage{"user", "And of Italy?", {}, {}, {}, {}});
  auto r2 = e.chat(t2, [](const ChatDelta&) { return true; });
  ASSERT_TRUE(r2) << r2.error().message;
  const harmony::RenderOptions ro{"2025-08-05", ""};
  const auto p1 = harmony::render_chat(t1, e.tokenizer(), ro)->token_ids;
  const auto p2 = harmony::render_chat(t2, e.tokenizer(), ro)->token_ids;
  size_t lcp = 0;
  while (lcp < p1.size() && lcp < p2.size() && p1[lcp] == p2[lcp]) ++lcp;
  ASSERT_GT(lcp, 10u);
  EXPECT_GE(r2->cached_prompt_tokens, static_cast<int>(lcp));  // only the new turn is prefilled
  EXPECT_LT(r2->cached_prompt_tokens, r2->prompt_tokens);
  EXPECT_EQ(r2->prompt_tokens, static_cast<int>(p2.size()));
}

}  // namespace
}  // namespace sy::local_engine
