#include "backends/local_backend.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <map>

#include <spdlog/spdlog.h>

namespace sy::gateway {

using nlohmann::json;

local_engine::ChatCompletionRequest to_engine_request(const router::ChatRequest& r) {
  local_engine::ChatCompletionRequest out;
  for (const auto& m : r.messages) {
    local_engine::ChatMessage em;
    em.role = m.role;
    em.content = m.content;
    em.reasoning_content = m.reasoning_content;
    em.name = m.name;
    em.tool_call_id = m.tool_call_id;
    for (const auto& tc : m.tool_calls) em.tool_calls.push_back({tc.id, tc.name, tc.arguments});
    out.messages.push_back(std::move(em));
  }
  for (const auto& t : r.tools) out.tools.push_back({t.name, t.description, t.parameters_json});
  out.reasoning_effort = r.reasoning_effort;
  auto& s = out.sampling;
  if (r.temperature) s.temperature = static_cast<float>(*r.temperature);
  if (r.top_p) s.top_p = static_cast<float>(*r.top_p);
  if (r.top_k) s.top_k = static_cast<int>(*r.top_k);
  if (r.min_p) s.min_p = static_cast<float>(*r.min_p);
  s.seed = r.seed;
  if (r.max_tokens) s.max_tokens = static_cast<int>(*r.max_tokens);
  s.stop = r.stop;
  s.logprobs = r.logprobs;
  if (r.top_logprobs) s.top_logprobs = static_cast<int>(*r.top_logprobs);
  return out;
}

LocalBackend::LocalBackend(std::string name, std::unique_ptr<local_engine::Engine> engine, int workers,
                           int max_queue, std::chrono::milliseconds queue_timeout)
    : name_(std::move(name)), engine_(std::move(engine)), max_queue_(max_queue), queue_timeout_(queue_timeout) {
  for (int i = 0; i < std::max(1, workers); ++i) workers_.emplace_back([this] { worker_loop(); });
}

LocalBackend::~LocalBackend() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

int LocalBackend::queue_depth() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(jobs_.size());
}

void LocalBackend::worker_loop() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job.run(false);
    } catch (const std::exception& e) {
      // Last resort (engine errors are caught inside the job and reported to
      // the request); never let one request take a worker thread down.
      spdlog::error("local engine job failed: {}", e.what());
    }
  }
}

namespace {

json chunk_skeleton(const BackendCall& call, const std::string& model, std::time_t created) {
  return json{{"id", call.completion_id}, {"object", "chat.completion.chunk"}, {"created", created},
              {"model", model}, {"system_fingerprint", "switchyard-local"}};
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

AttemptOutcome overloaded(std::string code, std::string message) {
  AttemptOutcome o;
  o.kind = AttemptOutcome::Kind::kOverloaded;
  o.status = 503;
  o.code = std::move(code);
  o.message = std::move(message);
  o.retry_after = "1";
  return o;
}

}  // namespace

std::function<void()> LocalBackend::start(const EgressPermit& permit, const BackendCall& call, AttemptSink sink) {
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  auto request = std::make_shared<local_engine::ChatCompletionRequest>(to_engine_request(*call.request));
  std::unique_lock lock(mu_);
  if (static_cast<int>(jobs_.size()) >= max_queue_) {
    lock.unlock();
    sink.on_done(overloaded("local_queue_full", "local engine queue is full"));
    return [] {};
  }
  auto job = [this, call, sink = std::move(sink), cancel, request](bool expired) mutable {
    if (expired) {
      sink.on_done(overloaded("local_queue_timeout", "waited too long for the local engine"));
      return;
    }
    if (cancel->load()) {  // the client left while the request was queued: don't start it
      AttemptOutcome o;
      o.kind = AttemptOutcome::Kind::kCancelled;
      o.status = 499;
      o.message = "client closed the request";
      sink.on_done(std::move(o));
      return;
    }
    const std::string model = engine_->model_name();
    const std::time_t created = std::time(nullptr);
    auto started = std::chrono::steady_clock::now();
    AttemptOutcome outcome;
    bool first = true;
    std::map<int, bool> tool_started;
    auto on_delta = [&](const local_engine::ChatDelta& d) -> bool {
      if (cancel->load()) return false;
      if (outcome.ttft_ms < 0) {
        outcome.ttft_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      }
      if (!call.stream) return true;
      json delta = json::object();
      if (first) delta["role"] = "assistant";
      first = false;
      switch (d.kind) {
        case local_engine::DeltaKind::kContent: delta["content"] = d.text; break;
        case local_engine::DeltaKind::kReasoning: delta["reasoning_content"] = d.text; break;
        case local_engine::DeltaKind::kToolCall: {
          json tc = {{"index", d.tool_index}, {"function", {{"arguments", d.text}}}};
          if (!tool_started[d.tool_index]) {
            tool_started[d.tool_index] = true;
            tc["id"] = d.tool_call_id;
            tc["type"] = "function";
            tc["function"]["name"] = d.tool_name;
          }
          delta["tool_calls"] = json::array({tc});
          break;
        }
      }
      json chunk = chunk_skeleton(call, model, created);
      chunk["choices"] = json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}});
      sink.on_event(dump(chunk));
      return !cancel->load();
    };
    std::expected<local_engine::ChatCompletionResult, local_engine::EngineError> result;
    try {
      result = engine_->chat(*request, on_delta, cancel.get());
    } catch (const std::exception& e) {
      result = std::unexpected(local_engine::EngineError{local_engine::EngineError::Code::kInternal, e.what()});
    }
    if (!result) {
      using Code = local_engine::EngineError::Code;
      outcome.message = result.error().message;
      switch (result.error().code) {
        case Code::kInvalidRequest:
        case Code::kContextOverflow:
          outcome.kind = AttemptOutcome::Kind::kUpstreamStatus;
          outcome.status = 400;
          outcome.code = result.error().code == Code::kContextOverflow ? "context_length_exceeded" : "invalid_request";
          break;
        case Code::kOverloaded:
          outcome.kind = AttemptOutcome::Kind::kOverloaded;
          outcome.status = 503;
          outcome.code = "local_overloaded";
          break;
        default:
          outcome.kind = AttemptOutcome::Kind::kInternal;
          outcome.status = 500;
          outcome.code = "local_engine_error";
      }
      sink.on_done(std::move(outcome));
      return;
    }
    const auto& r = *result;
    outcome.prompt_tokens = r.prompt_tokens;
    outcome.completion_tokens = r.completion_tokens;
    outcome.cached_prompt_tokens = r.cached_prompt_tokens;
    outcome.finish_reason = r.finish_reason;
    if (r.finish_reason == "cancelled" || cancel->load()) {
      outcome.kind = AttemptOutcome::Kind::kCancelled;
      outcome.status = 499;
      outcome.message = "client closed the request";
      sink.on_done(std::move(outcome));
      return;
    }
    json usage = {{"prompt_tokens", r.prompt_tokens},
                  {"completion_tokens", r.completion_tokens},
                  {"total_tokens", r.prompt_tokens + r.completion_tokens},
                  {"prompt_tokens_details", {{"cached_tokens", r.cached_prompt_tokens}}}};
    if (call.stream) {
      json chunk = chunk_skeleton(call, model, created);
      chunk["choices"] = json::array({{{"index", 0}, {"delta", json::object()}, {"finish_reason", r.finish_reason}}});
      sink.on_event(dump(chunk));
      if (call.include_usage) {
        json u = chunk_skeleton(call, model, created);
        u["choices"] = json::array();
        u["usage"] = usage;
        sink.on_event(dump(u));
      }
    } else {
      json message = {{"role", "assistant"}, {"content", r.content}};
      if (!r.reasoning_content.empty()) message["reasoning_content"] = r.reasoning_content;
      if (!r.tool_calls.empty()) {
        json calls = json::array();
        for (const auto& tc : r.tool_calls) {
          calls.push_back({{"id", tc.id}, {"type", "function"}, {"function", {{"name", tc.name}, {"arguments", tc.arguments}}}});
        }
        message["tool_calls"] = calls;
        if (r.content.empty()) message["content"] = nullptr;
      }
      json body = {{"id", call.completion_id}, {"object", "chat.completion"}, {"created", created}, {"model", model},
                   {"system_fingerprint", "switchyard-local"},
                   {"choices", json::array({{{"index", 0}, {"message", message}, {"finish_reason", r.finish_reason}}})},
                   {"usage", usage}};
      sink.on_body(dump(body));
    }
    outcome.kind = AttemptOutcome::Kind::kSuccess;
    outcome.status = 200;
    sink.on_done(std::move(outcome));
  };
  const uint64_t id = ++next_job_id_;
  jobs_.push_back(Job{id, std::move(job)});
  lock.unlock();
  // A request still queued at its deadline leaves the queue then, not when a
  // worker finally gets to it.
  expiry_.after(queue_timeout_, [this, id] {
    Job expired;
    {
      std::lock_guard guard(mu_);
      auto it = std::find_if(jobs_.begin(), jobs_.end(), [id](const Job& j) { return j.id == id; });
      if (it == jobs_.end()) return;  // already running or done
      expired = std::move(*it);
      jobs_.erase(it);
    }
    expired.run(true);
  });
  cv_.notify_one();
  return [cancel] { cancel->store(true); };
}

}  // namespace sy::gateway
