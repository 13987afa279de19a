#pragma once
// The CPU implementation of Engine, exposed for tests and the CLI: one
// model, one KV context reused across requests (shared prompt prefixes are
// not recomputed), requests serialised by a mutex.
#include <chrono>
#include <mutex>

#include "sy/local_engine/engine.hpp"
#include "sy/local_engine/harmony.hpp"
#include "sy/local_engine/model.hpp"
#include "sy/local_engine/tokenizer.hpp"

namespace sy::local_engine {

// Token-level generation, used by chat() and by the CLI's raw-prompt mode.
struct GenerateEvent {
  int32_t token = -1;
  std::string text;  // token bytes
};

struct GenerateResult {
  std::vector<int32_t> tokens;
  std::string finish_reason;  // stop | length | cancelled
  int prompt_tokens = 0;
  int cached_prompt_tokens = 0;
};

class CpuEngine final : public Engine {
 public:
  static std::expected<std::unique_ptr<CpuEngine>, std::string> create(const EngineOptions& options);

  std::expected<ChatCompletionResult, EngineError> chat(const ChatCompletionRequest& request,
                                                        const std::function<bool(const ChatDelta&)>& on_delta,
                                                        const std::atomic<bool>* cancel = nullptr) override;
  EngineStats stats() const override;
  const std::string& model_name() const override { return options_.model_name; }
  int count_tokens(std::string_view text) const override;

  // Raw generation from prompt tokens: stops on an end-of-generation token,
  // max_tokens, or when on_token returns false / cancel is set.
  std::expected<GenerateResult, EngineError> generate(std::span<const int32_t> prompt, const SamplingParams& sampling,
                                                      const std::function<bool(const GenerateEvent&)>& on_token,
                                                      const std::atomic<bool>* cancel = nullptr);

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const model::Model& model() const { return *model_; }
  // Date used by the harmony renderer (tests pin it); empty = today.
  void set_render_date(std::string date) { render_date_ = std::move(date); }

 private:
  CpuEngine() = default;
  // Runs the prompt (reusing the cached prefix) and returns the last logits. Caller holds mutex_.
  std::expected<int, EngineError> prefill(std::span<const int32_t> prompt, std::vector<float>& logits);

  EngineOptions options_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<kernels::cpu::ThreadPool> pool_;
  std::unique_ptr<model::Context> ctx_;
  std::vector<int32_t> cached_;  // tokens whose KV is in ctx_
  std::string render_date_;

  mutable std::mutex mutex_;  // serialises requests
  mutable std::mutex stats_mutex_;
  EngineStats stats_;
};

}  // namespace sy::local_engine
