#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

#include "engine/scheduler.hpp"
#include "gguf/strcat.hpp"
#include "sy/local_engine/engine_impl.hpp"
#include "sy/local_engine/sampler.hpp"

namespace sy::local_engine {

using sy::local_engine::detail::cat;

namespace {

constexpr int kPrefillPerStep = 512;  // bounds activation memory and how long decoders wait on a prompt
constexpr auto kCancelPoll = std::chrono::milliseconds(10);

EngineError error(EngineError::Code code, std::string message) { return EngineError{code, std::move(message)}; }

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
  if (options.max_concurrent_sequences < 1 || options.max_concurrent_sequences > 1024)
    return std::unexpected(cat("max_concurrent_sequences ", options.max_concurrent_sequences, " out of range [1, 1024]"));
  if (options.max_queued_requests < 0)
    return std::unexpected(cat("max_queued_requests ", options.max_queued_requests, " must be >= 0"));

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
  e->n_ctx_ = std::min(options.context_tokens, e->model_->hparams().n_ctx_train);
  SchedulerOptions so;
  so.n_ctx = e->n_ctx_;
  so.kv_type = *kv;
  so.path = *path;
  so.max_active = options.max_concurrent_sequences;
  so.max_queued = options.max_queued_requests;
  so.prefill_per_step = kPrefillPerStep;
  e->scheduler_ = std::make_unique<Scheduler>(*e->model_, *e->tokenizer_, e->pool_.get(), so);
  return e;
}

CpuEngine::~CpuEngine() = default;

int CpuEngine::count_tokens(std::string_view text) const {
  return static_cast<int>(tokenizer_->encode(text, false).size());
}

EngineStats CpuEngine::stats() const { return scheduler_->stats(); }

std::expected<GenerateResult, EngineError> CpuEngine::generate(std::span<const int32_t> prompt,
                                                               const SamplingParams& sampling,
                                                               const std::function<bool(const GenerateEvent&)>& on_token,
                                                               const std::atomic<bool>* cancel) {
  GenerateResult res;
  res.prompt_tokens = static_cast<int>(prompt.size());
  if (prompt.empty()) return std::unexpected(error(EngineError::Code::kInvalidRequest, "empty prompt"));
  if (static_cast<int>(prompt.size()) >= n_ctx_)
    return std::unexpected(error(EngineError::Code::kContextOverflow,
                                 cat("prompt has ", prompt.size(), " tokens; the context holds ", n_ctx_)));
  const int n_vocab = model_->hparams().n_vocab;
  for (int32_t id : prompt)
    if (id < 0 || id >= n_vocab)
      return std::unexpected(error(EngineError::Code::kInvalidRequest, cat("token id ", id, " out of range [0, ", n_vocab, ")")));
  int max_tokens = sampling.max_tokens > 0 ? sampling.max_tokens : options_.default_max_tokens;
  max_tokens = std::min(max_tokens, n_ctx_ - static_cast<int>(prompt.size()));
  if (cancel && cancel->load()) {
    res.finish_reason = "cancelled";
    return res;
  }
  if (max_tokens <= 0) {
    res.finish_reason = "length";
    return res;
  }

  auto req = std::make_shared<SequenceRequest>();
  req->prompt.assign(prompt.begin(), prompt.end());
  req->sampling = sampling;
  req->max_tokens = max_tokens;
  if (auto s = scheduler_->submit(req); !s) return std::unexpected(s.error());

  // The scheduler does not see `cancel` (it may not outlive this call), so
  // this thread polls it while waiting and relays it as req->stop.
  auto cancelled = [&] { return cancel && cancel->load(); };
  size_t next = 0;
  bool stopped = false;
  std::unique_lock lock(req->mutex);
  while (!stopped) {
    auto ready = [&] { return req->done || next < req->tokens.size() || cancelled(); };
    if (cancel)
      req->cv.wait_for(lock, kCancelPoll, ready);
    else
      req->cv.wait(lock, ready);
    if (req->error) return std::unexpected(*req->error);
    while (next < req->tokens.size() && !stopped) {
      if (cancelled()) {
        stopped = true;
        break;
      }
      const int32_t tok = req->tokens[next++];
      lock.unlock();
      res.tokens.push_back(tok);
      stopped = !on_token(GenerateEvent{tok, tokenizer_->token_bytes(tok)});
      req->consumed.store(static_cast<int>(next));
      scheduler_->poke();  // a parked sequence may go on
      lock.lock();
    }
    if (cancelled()) stopped = true;
    if (!stopped && req->done && next == req->tokens.size()) {
      res.finish_reason = req->finish_reason;
      break;
    }
  }
  if (stopped) {
    // Wait until the sequence has left, so its slot is free and the stats
    // no longer count it when this call returns (at most one step).
    req->stop.store(true);
    lock.unlock();
    scheduler_->poke();
    lock.lock();
    req->cv.wait(lock, [&] { return req->done; });
    res.finish_reason = "cancelled";
  }
  res.cached_prompt_tokens = req->cached_prompt_tokens;
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
