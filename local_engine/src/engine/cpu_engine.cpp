#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "gguf/strcat.hpp"
#include "sy/local_engine/engine_impl.hpp"
#include "sy/local_engine/sampler.hpp"

namespace sy::local_engine {

using sy::local_engine::detail::cat;

namespace {

constexpr int kPrefillChunk = 512;  // bounds activation memory of one decode call

EngineError error(EngineError::Code code, std::string message) { return EngineError{code, std::move(message)}; }

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::expected<std::unique_ptr<Engine>, std::string> Engine::load(const EngineOptions& options) {
  auto e = CpuEngine::create(options);
  if (!e) return std::unexpected(e.error());
  return std::unique_ptr<Engine>(std::move(*e));
}

std::expected<std::unique_ptr<CpuEngine>, std::string> CpuEngine::create(const EngineOptions& options) {
  if (options.backend != "auto" && options.backend != "cpu")
    return std::unexpected(cat("backend '", options.backend, "' is not available (this build has the CPU backend only)"));
  auto path = model::parse_numeric_path(options.numeric_path);
  if (!path) return std::unexpected(path.error());
  auto kv = model::parse_kv_type(options.kv_type);
  if (!kv) return std::unexpected(kv.error());
  if (options.context_tokens < 16 || options.context_tokens > (1 << 20))
    return std::unexpected(cat("context_tokens ", options.context_tokens, " out of range [16, 1048576]"));
  if (options.model_path.empty()) return std::unexpected("no model path configured");

  auto file = gguf::File::open(options.model_path);
  if (!file) return std::unexpected(file.error());
  std::shared_ptr<const gguf::File> shared(std::move(*file));
  auto tok = Tokenizer::from_gguf(*shared);
  if (!tok) return std::unexpected(cat(options.model_path, ": tokenizer: ", tok.error()));
  auto mdl = model::Model::load(shared);
  if (!mdl) return std::unexpected(cat(options.model_path, ": ", mdl.error()));

  std::unique_ptr<CpuEngine> e(new CpuEngine());
  e->options_ = options;
  e->model_ = std::move(*mdl);
  e->tokenizer_ = std::move(*tok);
  e->pool_ = std::make_unique<kernels::cpu::ThreadPool>(options.threads);
  const int n_ctx = std::min(options.context_tokens, e->model_->hparams().n_ctx_train);
  e->ctx_ = std::make_unique<model::Context>(*e->model_, model::ContextOptions{n_ctx, *kv, *path}, e->pool_.get());
  return e;
}

int CpuEngine::count_tokens(std::string_view text) const {
  return static_cast<int>(tokenizer_->encode(text, false).size());
}

EngineStats CpuEngine::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

std::expected<int, EngineError> CpuEngine::prefill(std::span<const int32_t> prompt, std::vector<float>& logits) {
  if (prompt.empty()) return std::unexpected(error(EngineError::Code::kInvalidRequest, "empty prompt"));
  if (static_cast<int>(prompt.size()) >= ctx_->n_ctx())
    return std::unexpected(error(EngineError::Code::kContextOverflow,
                                 cat("prompt has ", prompt.size(), " tokens; the context holds ", ctx_->n_ctx())));
  // Reuse the KV of the longest common prefix, but always run >= 1 token to get logits.
  size_t common = 0;
  const size_t limit = std::min(cached_.size(), prompt.size() - 1);
  while (common < limit && cached_[common] == prompt[common]) ++common;
  common = static_cast<size_t>(ctx_->truncate(static_cast<int>(common)));
  cached_.resize(common);
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t pos = common; pos < prompt.size(); pos += kPrefillChunk) {
    const size_t n = std::min<size_t>(kPrefillChunk, prompt.size() - pos);
    auto r = ctx_->decode(prompt.subspan(pos, n), false, logits);
    if (!r) {
      ctx_->reset();
      cached_.clear();
      return std::unexpected(error(EngineError::Code::kInternal, r.error()));
    }
    cached_.insert(cached_.end(), prompt.begin() + static_cast<long>(pos), prompt.begin() + static_cast<long>(pos + n));
  }
  const double dt = seconds_since(t0);
  std::lock_guard lock(stats_mutex_);
  if (dt > 0) stats_.recent_prefill_tok_s = static_cast<double>(prompt.size() - common) / dt;
  return static_cast<int>(common);
}

std::expected<GenerateResult, EngineError> CpuEngine::generate(std::span<const int32_t> prompt,
                                                               const SamplingParams& sampling,
                                                               const std::function<bool(const GenerateEvent&)>& on_token,
                                                               const std::atomic<bool>* cancel) {
  {
    std::lock_guard lock(stats_mutex_);
    ++stats_.queue_depth;
  }
  std::unique_lock lock(mutex_);
  {
    std::lock_guard s(stats_mutex_);
    --stats_.queue_depth;
    ++stats_.active_sequences;
  }
  struct Done {
    CpuEngine* e;
    ~Done() {
      std::lock_guard s(e->stats_mutex_);
      --e->stats_.active_sequences;
      e->stats_.kv_bytes_used = e->ctx_->kv_bytes() / static_cast<size_t>(e->ctx_->n_ctx()) * e->cached_.size();
    }
  } done{this};

  GenerateResult res;
  res.prompt_tokens = static_cast<int>(prompt.size());
  std::vector<float> logits;
  auto cached = prefill(prompt, logits);
  if (!cached) return std::unexpected(cached.error());
  res.cached_prompt_tokens = *cached;

  int max_tokens = sampling.max_tokens > 0 ? sampling.max_tokens : options_.default_max_tokens;
  max_tokens = std::min(max_tokens, ctx_->n_ctx() - ctx_->n_past());
  runtime::Sampler sampler(sampling);
  const auto t0 = std::chrono::steady_clock::now();
  int decoded = 0;
  for (;;) {
    if (cancel && cancel->load()) {
      res.finish_reason = "cancelled";
      break;
    }
    if (static_cast<int>(res.tokens.size()) >= max_tokens) {
      res.finish_reason = "length";
      break;
    }
    const int32_t tok = sampler.sample(logits);
    res.tokens.push_back(tok);
    if (!on_token(GenerateEvent{tok, tokenizer_->token_bytes(tok)})) {
      res.finish_reason = "cancelled";
      break;
    }
    if (tokenizer_->is_eog(tok)) {
      res.finish_reason = "stop";
      break;
    }
    if (static_cast<int>(res.tokens.size()) >= max_tokens) continue;  // no need to compute logits
    auto r = ctx_->decode(std::span<const int32_t>(&tok, 1), false, logits);
    if (!r) {
      ctx_->reset();
      cached_.clear();
      return std::unexpected(error(EngineError::Code::kInternal, r.error()));
    }
    cached_.push_back(tok);
    ++decoded;
  }
  const double dt = seconds_since(t0);
  if (decoded > 0 && dt > 0) {
    std::lock_guard s(stats_mutex_);
    stats_.recent_decode_tok_s = decoded / dt;
  }
  return res;
}

namespace {

std::string tool_call_id_prefix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[32];
  std::snprintf(buf, sizeof buf, "call_%012llx_", static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
  return buf;
}

}  // namespace

std::expected<ChatCompletionResult, EngineError> CpuEngine::chat(const ChatCompletionRequest& request,
                                                                 const std::function<bool(const ChatDelta&)>& on_delta,
                                                                 const std::atomic<bool>* cancel) {
  harmony::RenderOptions ro;
  ro.date = render_date_;
  auto rendered = harmony::render_chat(request, *tokenizer_, ro);
  if (!rendered) return std::unexpected(error(EngineError::Code::kInvalidRequest, rendered.error()));

  // Tool-call ids must not repeat across responses: clients send them back in
  // history and the renderer matches tool results to calls by id.
  harmony::OutputParser parser(*tokenizer_, tool_call_id_prefix());
  runtime::StopSequenceFilter stop_filter(request.sampling.stop);
  bool client_stopped = false;
  std::string content;  // content as delivered (after stop-sequence filtering)
  auto deliver = [&](const ChatDelta& d) {
    if (client_stopped) return false;
    if (!on_delta(d)) client_stopped = true;
    return !client_stopped;
  };
  auto forward = [&](std::vector<ChatDelta> deltas) {
    for (ChatDelta& d : deltas) {
      if (d.kind == DeltaKind::kContent) {
        d.text = stop_filter.push(d.text);
        if (d.text.empty()) continue;
        content += d.text;
      }
      if (!deliver(d)) return false;
    }
    return true;
  };

  auto gen = generate(rendered->token_ids, request.sampling,
                      [&](const GenerateEvent& ev) {
                        if (!forward(parser.feed(ev.token))) return false;
                        return !parser.done() && !stop_filter.stopped();
                      },
                      cancel);
  if (!gen) return std::unexpected(gen.error());

  if (!parser.done() && !stop_filter.stopped()) forward(parser.flush());
  if (!stop_filter.stopped()) {
    std::string tail = stop_filter.flush();
    if (!tail.empty()) {
      content += tail;
      deliver(ChatDelta{DeltaKind::kContent, tail, -1, {}, {}});
    }
  }
  ChatCompletionResult full = parser.result();  // after flush
  full.content = content;
  full.prompt_tokens = gen->prompt_tokens;
  full.completion_tokens = static_cast<int>(gen->tokens.size());
  full.cached_prompt_tokens = gen->cached_prompt_tokens;
  if (parser.done()) {
    full.finish_reason = parser.finish_reason();
  } else if (stop_filter.stopped()) {
    full.finish_reason = "stop";
  } else if (client_stopped || gen->finish_reason == "cancelled") {
    full.finish_reason = "cancelled";
  } else if (gen->finish_reason == "length") {
    full.finish_reason = "length";
  } else {
    full.finish_reason = "stop";  // end-of-generation token outside a harmony message
  }
  return full;
}

}  // namespace sy::local_engine
