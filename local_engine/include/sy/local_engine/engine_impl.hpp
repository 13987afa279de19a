#pragma once
// The CPU implementation of Engine, exposed for tests and the CLI: one
// model; concurrent requests are batched by a scheduler thread (continuous
// batching) over a pool of KV slots that keep shared prompt prefixes.
#include <memory>

#include "sy/local_engine/engine.hpp"
#include "sy/local_engine/harmony.hpp"
#include "sy/local_engine/model.hpp"
#include "sy/local_engine/tokenizer.hpp"

namespace sy::local_engine {

class Scheduler;

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
  // Fails requests still queued or running: their blocked generate() calls
  // return kInternal. A caller must not be inside on_token at that point.
  ~CpuEngine() override;

  std::expected<ChatCompletionResult, EngineError> chat(const ChatCompletionRequest& request,
                                                        const std::function<bool(const ChatDelta&)>& on_delta,
                                                        const std::atomic<bool>* cancel = nullptr) override;
  EngineStats stats() const override;
  const std::string& model_name() const override { return options_.model_name; }
  int count_tokens(std::string_view text) const override;

  // Raw generation from prompt tokens: stops on an end-of-generation token,
  // max_tokens, or when on_token returns false / cancel is set. Blocking; runs
  // on_token on the calling thread; concurrent calls are batched together.
  std::expected<GenerateResult, EngineError> generate(std::span<const int32_t> prompt, const SamplingParams& sampling,
                                                      const std::function<bool(const GenerateEvent&)>& on_token,
                                                      const std::atomic<bool>* cancel = nullptr);

  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const model::Model& model() const { return *model_; }
  // Date used by the harmony renderer (tests pin it); empty = today.
  void set_render_date(std::string date) { render_date_ = std::move(date); }

 private:
  CpuEngine() = default;

  EngineOptions options_;
  int n_ctx_ = 0;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::unique_ptr<kernels::cpu::ThreadPool> pool_;
  std::string render_date_;
  std::unique_ptr<Scheduler> scheduler_;  // last: stopped before what it uses goes away
};

}  // namespace sy::local_engine
