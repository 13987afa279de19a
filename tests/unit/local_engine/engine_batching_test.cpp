#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "model_fixture.hpp"
#include "sy/local_engine/engine_impl.hpp"

namespace sy::local_engine {
namespace {

using model::testing::tiny_dir;

std::unique_ptr<CpuEngine> make_engine(int slots, int queued = 64) {
  EngineOptions o;
  o.model_name = "tiny";
  o.model_path = tiny_dir() + "tiny-gpt-oss.gguf";
  o.context_tokens = 512;
  o.threads = 2;
  o.max_concurrent_sequences = slots;
  o.max_queued_requests = queued;
  auto r = CpuEngine::create(o);
  if (!r) throw std::runtime_error(r.error());
  return std::move(*r);
}

SamplingParams greedy(int max_tokens) {
  SamplingParams p;
  p.temperature = 0.0f;
  p.max_tokens = max_tokens;
  return p;
}

std::vector<int32_t> solo_tokens(const std::vector<int32_t>& prompt, int max_tokens) {
  auto e = make_engine(1);
  auto r = e->generate(prompt, greedy(max_tokens), [](const GenerateEvent&) { return true; });
  return r ? r->tokens : std::vector<int32_t>{};
}

// Holds callers inside their first on_token until `n` of them got there, so
// that many sequences are provably active at once (no sleeps, no timing).
class Gate {
 public:
  explicit Gate(int n) : n_(n) {}
  // The caller that completes the group runs `last` before anyone moves on.
  template <class F>
  void arrive(F&& last) {
    std::unique_lock lock(m_);
    if (++arrived_ == n_) {
      last();
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return arrived_ >= n_; });
  }
  void arrive() {
    arrive([] {});
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_;
  int arrived_ = 0;
};

const std::vector<std::vector<int32_t>> kPrompts{
    {976, 4853, 19705}, {12194, 11, 1495, 382}, {976, 6439, 328, 4335, 382}, {3575, 553, 261, 10297}};

TEST(EngineBatching, ConcurrentGreedyCallsEachMatchTheirSoloRun) {
  const int steps = 20;
  std::vector<std::vector<int32_t>> want;
  for (const auto& p : kPrompts) want.push_back(solo_tokens(p, steps));
  auto e = make_engine(static_cast<int>(kPrompts.size()));
  std::vector<std::vector<int32_t>> got(kPrompts.size());
  std::vector<std::string> errors(kPrompts.size());
  int max_active = 0;
  Gate gate(static_cast<int>(kPrompts.size()));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kPrompts.size(); ++i)
    threads.emplace_back([&, i] {
      bool first = true;
      auto r = e->generate(kPrompts[i], greedy(steps), [&](const GenerateEvent&) {
        if (first) gate.arrive([&] { max_active = e->stats().active_sequences; });
        first = false;
        return true;
      });
      if (r)
        got[i] = r->tokens;
      else
        errors[i] = r.error().message;
    });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    EXPECT_EQ(errors[i], "");
    ASSERT_GE(want[i].size(), 1u);
    EXPECT_EQ(got[i], want[i]) << "prompt " << i;
  }
  // Every caller sat in its first callback at that moment, none had finished.
  EXPECT_EQ(max_active, static_cast<int>(kPrompts.size()));
  const EngineStats s = e->stats();
  EXPECT_EQ(s.active_sequences, 0);
  EXPECT_EQ(s.queue_depth, 0);
  EXPECT_GT(s.recent_decode_tok_s, 0.0);
  EXPECT_GT(s.recent_prefill_tok_s, 0.0);
  EXPECT_GT(s.kv_bytes_used, 0u);
}

TEST(EngineBatching, CancellingOneSequenceLeavesTheOthersUntouched) {
  const int steps = 24;
  const std::vector<int32_t> want_b = solo_tokens(kPrompts[1], steps), want_c = solo_tokens(kPrompts[2], steps);
  const std::vector<int32_t> want_a = solo_tokens(kPrompts[0], steps);
  ASSERT_GE(want_a.size(), 3u);  // A must still be running at its third token
  auto e = make_engine(3);
  Gate gate(3);
  std::expected<GenerateResult, EngineError> ra, rb, rc;
  auto run = [&](const std::vector<int32_t>& prompt, std::expected<GenerateResult, EngineError>& out, int stop_after) {
    int seen = 0;
    out = e->generate(prompt, greedy(steps), [&](const GenerateEvent&) {
      if (seen == 0) gate.arrive();
      return ++seen != stop_after;
    });
  };
  std::thread ta([&] { run(kPrompts[0], ra, 3); });
  std::thread tb([&] { run(kPrompts[1], rb, -1); });
  std::thread tc([&] { run(kPrompts[2], rc, -1); });
  ta.join();
  tb.join();
  tc.join();
  ASSERT_TRUE(ra && rb && rc);
  EXPECT_EQ(ra->finish_reason, "cancelled");
  EXPECT_EQ(ra->tokens, std::vector<int32_t>(want_a.begin(), want_a.begin() + 3));
  EXPECT_EQ(rb->tokens, want_b);
  EXPECT_EQ(rc->tokens, want_c);
  EXPECT_NE(rb->finish_reason, "cancelled");
  EXPECT_EQ(e->stats().active_sequences, 0);
}

TEST(EngineBatching, FullQueueIsOverloaded) {
  auto e = make_engine(1, 1);
  std::mutex m;
  std::condition_variable cv;
  bool started = false, release = false;
  std::expected<GenerateResult, EngineError> ra, rb;
  std::thread ta([&] {
    ra = e->generate(kPrompts[0], greedy(40), [&](const GenerateEvent&) {
      std::unique_lock lock(m);
      started = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });  // keeps A active: its sequence parks
      return true;
    });
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return started; });
  }
  std::thread tb([&] { rb = e->generate(kPrompts[1], greedy(4), [](const GenerateEvent&) { return true; }); });
  // B is waiting once the engine counts it; the deadline only guards a hang.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (e->stats().queue_depth < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(e->stats().queue_depth, 1);
  EXPECT_EQ(e->stats().active_sequences, 1);
  auto rc = e->generate(kPrompts[2], greedy(4), [](const GenerateEvent&) { return true; });
  ASSERT_FALSE(rc);
  EXPECT_EQ(rc.error().code, EngineError::Code::kOverloaded);
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  ta.join();
  tb.join();
  ASSERT_TRUE(ra) << ra.error().message;
  ASSERT_TRUE(rb) << rb.error().message;
  EXPECT_EQ(rb->tokens, solo_tokens(kPrompts[1], 4));
}

TEST(EngineBatching, InterleavedConversationsEachReuseTheirOwnPrefix) {
  auto e = make_engine(2);
  e->set_render_date("2025-08-05");
  const harmony::RenderOptions ro{"2025-08-05", ""};
  auto turn1 = [](const std::string& question) {
    ChatCompletionRequest r;
    r.messages.push_back(ChatMessage{"user", question, {}, {}, {}, {}});
    r.sampling = greedy(6);
    return r;
  };
  auto turn2 = [](ChatCompletionRequest r, const std::string& answer, const std::string& question) {
    r.messages.push_back(ChatMessage{"assistant", answer, {}, {}, {}, {}});
    r.messages.push_back(ChatMessage{"user", question, {}, {}, {}, {}});
    return r;
  };
  const auto a1 = turn1("What is the capital of France?"), b1 = turn1("Name three prime numbers, please.");
  const auto a2 = turn2(a1, "Paris.", "And of Italy?"), b2 = turn2(b1, "2, 3, 5.", "And three more?");
  auto ok = [](const ChatDelta&) { return true; };
  for (const auto* req : {&a1, &b1}) ASSERT_TRUE(e->chat(*req, ok));
  auto ra = e->chat(a2, ok);
  auto rb = e->chat(b2, ok);
  ASSERT_TRUE(ra && rb);
  auto lcp = [&](const ChatCompletionRequest& x, const ChatCompletionRequest& y) {
    const auto p = harmony::render_chat(x, e->tokenizer(), ro)->token_ids;
    const auto q = harmony::render_chat(y, e->tokenizer(), ro)->token_ids;
    size_t n = 0;
    while (n < p.size() && n < q.size() && p[n] == q[n]) ++n;
    return static_cast<int>(n);
  };
  // Both conversations start with the same system prompt; their own first
  // turn is a much longer prefix.
  ASSERT_GT(lcp(a1, a2), lcp(a2, b2) + 5);
  ASSERT_GT(lcp(b1, b2), lcp(a2, b2) + 5);
  EXPECT_GE(ra->cached_prompt_tokens, lcp(a1, a2));
  EXPECT_GE(rb->cached_prompt_tokens, lcp(b1, b2));
  EXPECT_LT(rb->cached_prompt_tokens, rb->prompt_tokens);
}

TEST(EngineBatching, OneSlotLosesTheOtherConversationsPrefix) {
  // The contrast to the test above: with a single slot B's turn evicts A.
  auto e = make_engine(1);
  const std::vector<int32_t> a{976, 4853, 19705, 12194, 11, 1495}, b{3575, 553, 261, 10297, 976};
  auto ok = [](const GenerateEvent&) { return true; };
  ASSERT_TRUE(e->generate(a, greedy(2), ok));
  ASSERT_TRUE(e->generate(b, greedy(2), ok));
  auto again = e->generate(a, greedy(2), ok);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->cached_prompt_tokens, 0);
  auto more = e->generate(a, greedy(2), ok);
  ASSERT_TRUE(more);
  EXPECT_EQ(more->cached_prompt_tokens, static_cast<int>(a.size()) - 1);
}

}  // namespace
}  // namespace sy::local_engine
