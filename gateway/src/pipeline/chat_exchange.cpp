#include "pipeline/chat_exchange.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <random>

#include "openai/chat_request_json.hpp"

namespace sy::gateway {

using nlohmann::json;

namespace {

std::string random_id(std::string_view prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string out(prefix);
  for (int i = 0; i < 24; ++i) out.push_back(kAlphabet[rng() % 62]);
  return out;
}

// Retry-After in delta-seconds (the HTTP-date form is not used by LLM APIs).
std::optional<std::chrono::milliseconds> parse_retry_after(const std::string& value) {
  int64_t secs = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (value.empty() || ec != std::errc() || secs < 0) return std::nullopt;
  return std::chrono::seconds(secs);
}

openai::ApiError final_error(const AttemptOutcome& o) {
  openai::ApiError e;
  e.message = o.message;
  e.code = o.code;
  e.retry_after = o.retry_after;
  switch (o.kind) {
    case AttemptOutcome::Kind::kUpstreamStatus:
      if (o.status == 429) {
        e.status = 429;
        e.code = "upstream_rate_limited";
        e.message = "the upstream is rate limiting requests; retry later";
      } else {
        e.status = 502;
      }
      break;
    case AttemptOutcome::Kind::kTimeout: e.status = 504; break;
    case AttemptOutcome::Kind::kOverloaded: e.status = 503; break;
    case AttemptOutcome::Kind::kInternal: e.status = 500; break;
    default: e.status = 502; break;
  }
  return e;
}

}  // namespace

ChatExchange::ChatExchange(AppState& app, http::Request request, std::shared_ptr<http::ResponseChannel> channel,
                           std::string request_id)
    : app_(app), request_(std::move(request)), channel_(std::move(channel)), request_id_(std::move(request_id)) {}

void ChatExchange::run() {
  if (!prepare()) return;
  channel_->on_client_gone([weak = weak_from_this()] {
    auto self = weak.lock();
    if (!self) return;
    std::function<void()> cancel;
    {
      std::lock_guard lock(self->mu_);
      self->client_gone_ = true;
      cancel = self->cancel_attempt_;
    }
    if (cancel) cancel();
  });
  dispatch();
}

bool ChatExchange::prepare() {
  ctx_.request_id = request_id_;
  ctx_.headers = request_.headers;
  std::string ctype = request_.header("content-type");
  if (ctype.find("application/json") == std::string::npos) {
    reject({415, "Content-Type must be application/json", "unsupported_media_type", "", ""});
    return false;
  }
  try {
    body_ = nlohmann::ordered_json::parse(request_.body);
  } catch (const json::parse_error& e) {
    reject({400, std::string("request body is not valid JSON: ") + e.what(), "invalid_json", "", ""});
    return false;
  }
  auto parsed = openai::parse_chat_request(body_);
  if (!parsed) {
    reject({400, parsed.error().message, "invalid_request", parsed.error().param, ""});
    return false;
  }
  chat_ = std::move(*parsed);
  if (auto so = body_.find("stream_options"); so != body_.end() && so->is_object()) {
    auto iu = so->find("include_usage");
    include_usage_ = iu != so->end() && iu->is_boolean() && iu->get<bool>();
  }

  stage_ = "auth";
  auto auth_header = request_.header("authorization");
  auto tenant = app_.keys->authenticate(auth_header.empty() ? std::nullopt : std::optional<std::string_view>(auth_header));
  if (!tenant) {
    reject({policies::http_status(tenant.error()), std::string(policies::message(tenant.error())), "invalid_api_key", "", ""});
    return false;
  }
  tenant_ = *tenant;
  ctx_.key_id = tenant_->id;
  if (auto m = app_.keys->authorize_model(*tenant_, chat_.model); !m) {
    reject({policies::http_status(m.error()), std::string(policies::message(m.error())), "model_not_allowed", "model", ""});
    return false;
  }
  if (auto budget = request_.header("x-switchyard-latency-budget-ms"); !budget.empty()) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(budget.data(), budget.data() + budget.size(), v);
    if (ec != std::errc() || p != budget.data() + budget.size() || v <= 0) {
      reject({400, "X-Switchyard-Latency-Budget-Ms must be a positive integer", "invalid_header", "", ""});
      return false;
    }
    ctx_.latency_budget_ms = v;
  } else if (tenant_->latency_budget_ms) {
    ctx_.latency_budget_ms = tenant_->latency_budget_ms;
  }

  stage_ = "routing";
  const auto& ropts = app_.config.routing;
  classification_ = app_.router->classify(chat_, ctx_);
  bool local_available = app_.local && app_.breakers->at(ropts.local_target).available();
  if (app_.local) {
    auto stats = app_.local->engine().stats();
    app_.latency.set_queue(ropts.local_target, app_.local->queue_depth() + stats.active_sequences,
                           stats.recent_decode_tok_s);
  }
  auto signals = app_.router->signals(ctx_, classification_, &app_.volume, &app_.latency, local_available);
  signals.cloud_available = app_.cloud && app_.breakers->at(ropts.cloud_target).available();
  decision_ = app_.router->decide(chat_, ctx_, classification_, signals);
  if (decision_.rejected) {
    bool sensitive = classification_.sensitive || classification_.fail_closed;
    reject({sensitive ? 403 : 400, decision_.reject_message,
            sensitive ? "sensitive_request_blocked" : "request_rejected", "model", ""});
    return false;
  }
  decision_.targets = tenant_->filter_targets(decision_.targets);
  if (decision_.targets.empty()) {
    reject({403, std::string(policies::message(policies::AuthError::kTargetNotAllowed)), "target_not_allowed", "", ""});
    return false;
  }
  app_.volume.record(ctx_.key_id, classification_.prompt_tokens_estimate);

  stage_ = "rate_limit";
  policies::RateLimits limits = policies::RateLimits::of(*tenant_);
  if (!tenant_->anonymous() && (limits.requests_per_minute || limits.tokens_per_minute)) {
    const int64_t estimate = classification_.prompt_tokens_estimate + classification_.max_output_tokens;
    auto rl = app_.rate_limiter->check(ctx_.key_id, limits, estimate);
    if (rl.allowed() && limits.tokens_per_minute) rate_tokens_charged_ = estimate;
    if (!rl.allowed()) {
      openai::ApiError e{429, rl.message(), "rate_limit_exceeded", "", std::to_string(rl.retry_after_seconds())};
      reject(e);
      return false;
    }
  }

  stage_ = "budget";
  bool wants_cloud = std::find(decision_.targets.begin(), decision_.targets.end(), ropts.cloud_target) !=
                     decision_.targets.end();
  if (wants_cloud && !tenant_->anonymous() && (tenant_->budget_usd_per_day || tenant_->budget_usd_per_month)) {
    auto r = app_.budgets->reserve(*tenant_, classification_.estimated_cost_usd);
    if (r) {
      reservation_.emplace(std::move(*r));
    } else if (decision_.allows(ropts.local_target) && tenant_->allows_target(ropts.local_target) && app_.local) {
      decision_.targets = {ropts.local_target};
      decision_.reasons.push_back("budget exhausted: routed to the local engine");
    } else {
      reject({429, r.error().message(), "insufficient_quota", "", ""});
      return false;
    }
  }

  stage_ = "routing";
  plan_ = policies::plan_attempts(
      decision_.targets, decision_.egress, classification_.sensitive || classification_.fail_closed,
      [this](std::string_view target) {
        std::string t(target);
        if (!app_.backend(t)) return policies::Availability::kNotConfigured;
        return policies::breaker_availability(app_.breakers->at(t));
      });
  if (plan_.empty()) {
    reject({503, plan_.unavailable_reason.empty() ? "no target is available for this request" : plan_.unavailable_reason,
            "no_target_available", "", "1"});
    return false;
  }
  stage_ = "dispatch";
  retries_.emplace(app_.config.policies.retries, app_.clock, std::random_device{}());
  completion_id_ = random_id("chatcmpl-");
  return true;
}

void ChatExchange::dispatch() {
  std::unique_lock lock(mu_);
  if (finished_) return;
  if (client_gone_) {
    lock.unlock();
    final_outcome_.kind = AttemptOutcome::Kind::kCancelled;
    complete(499);
    return;
  }
  while (plan_index_ < plan_.targets.size()) {
    const std::string target = plan_.targets[plan_index_];
    auto permit = app_.breakers->at(target).try_acquire();
    if (!permit) {
      failover_notes_.push_back(target + " skipped (" + std::string(policies::to_string(permit.error().reason)) + ")");
      ++plan_index_;
      continue;
    }
    if (!retries_->begin_attempt()) break;
    permit_.emplace(std::move(*permit));
    current_target_ = target;
    attempt_started_ = std::chrono::steady_clock::now();
    lock.unlock();
    start_attempt(target);
    return;
  }
  AttemptOutcome o = last_failure_.value_or(AttemptOutcome{});
  if (!last_failure_) {
    o.kind = AttemptOutcome::Kind::kOverloaded;
    o.code = "no_target_available";
    o.message = (classification_.sensitive || classification_.fail_closed)
                    ? "sensitive request and local engine unavailable"
                    : "no target is available for this request";
    o.retry_after = "1";
  }
  final_outcome_ = o;
  lock.unlock();
  reject(final_error(o));
}

void ChatExchange::start_attempt(const std::string& target) {
  bool local = app_.is_local(target);
  auto permit = EgressPermit::issue(decision_, classification_, target, local, ctx_.key_id,
                                    app_.config.routing.egress_exemptions);
  if (!permit) {
    // Unreachable by construction (plans are subsets of the egress set); if it
    // ever happens, fail closed rather than send anything.
    spdlog::critical("egress check refused target {} for request {}", target, request_id_);
    permit_.reset();
    reject({500, "internal routing error", "egress_violation", "", ""});
    return;
  }
  BackendCall call;
  call.request = &chat_;
  call.body = &body_;
  call.stream = chat_.stream;
  call.include_usage = include_usage_;
  call.request_id = request_id_;
  call.completion_id = completion_id_;
  if (local) {
    call.model = app_.config.routing.local_model;
  } else {
    bool cloud_model = false;
    if (app_.cloud) {
      const auto models = app_.cloud->models();
      cloud_model = std::find(models.begin(), models.end(), chat_.model) != models.end();
    }
    call.model = cloud_model ? chat_.model
                             : (decision_.model_for_cloud.empty() ? app_.config.routing.cloud_default_model
                                                                  : decision_.model_for_cloud);
  }
  {
    std::lock_guard lock(mu_);
    served_model_ = call.model;
  }
  AttemptSink sink;
  auto self = shared_from_this();
  sink.on_event = [self](std::string data) { self->on_event(std::move(data)); };
  sink.on_body = [self](std::string body) { self->on_body(std::move(body)); };
  sink.on_done = [self](AttemptOutcome o) { self->on_done(std::move(o)); };
  auto cancel = app_.backend(target)->start(*permit, call, std::move(sink));
  std::unique_lock lock(mu_);
  if (current_target_ == target && permit_) {
    cancel_attempt_ = cancel;
    if (client_gone_) {
      lock.unlock();
      cancel();
    }
  }
}

void ChatExchange::on_event(std::string data) {
  std::lock_guard lock(mu_);
  if (finished_ || client_gone_) return;
  if (!committed_) {
    committed_ = true;
    channel_->start_stream(200, response_headers());
  }
  channel_->write("data: " + data + "\n\n");
}

void ChatExchange::on_body(std::string body) {
  std::lock_guard lock(mu_);
  pending_body_ = std::move(body);
}

policies::Outcome ChatExchange::breaker_outcome(const AttemptOutcome& o) const {
  using K = AttemptOutcome::Kind;
  switch (o.kind) {
    case K::kSuccess: return policies::Outcome::kSuccess;
    case K::kCancelled: return policies::Outcome::kClientAbort;
    case K::kOverloaded: return policies::Outcome::kRateLimited;
    case K::kTimeout:
      if (o.code == "connect_timeout") return policies::Outcome::kConnectError;
      return o.code == "idle_timeout" ? policies::Outcome::kStreamStall : policies::Outcome::kTimeout;
    case K::kTransport:
      if (o.code == "tls_error") return policies::Outcome::kTlsError;
      if (o.code == "connect_error") return policies::Outcome::kConnectError;
      return policies::Outcome::kStreamStall;
    case K::kUpstreamStatus:
      if (o.status == 429) return policies::Outcome::kRateLimited;
      if (o.status >= 500) return policies::Outcome::kServerError;
      return policies::Outcome::kClientError;
    case K::kInternal: return policies::Outcome::kServerError;
  }
  return policies::Outcome::kServerError;
}

void ChatExchange::on_done(AttemptOutcome o) {
  std::unique_lock lock(mu_);
  cancel_attempt_ = nullptr;
  auto latency = std::chrono::steady_clock::now() - attempt_started_;
  policies::Outcome bo = breaker_outcome(o);
  std::string breaker_state;
  if (permit_) {
    std::optional<std::chrono::milliseconds> retry_after = parse_retry_after(o.retry_after);
    auto measured = (chat_.stream && o.ttft_ms >= 0)
                        ? std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::duration<double, std::milli>(o.ttft_ms))
                        : std::chrono::duration_cast<std::chrono::nanoseconds>(latency);
    permit_->record(bo, measured, retry_after);
    permit_.reset();
    breaker_state = std::string(policies::to_string(app_.breakers->at(current_target_).state()));
  }
  attempts_.push_back({current_target_, std::string(policies::to_string(bo)) + (o.code.empty() ? "" : ":" + o.code),
                       o.status, std::chrono::duration<double, std::milli>(latency).count(), breaker_state});
  if (finished_) return;

  if (o.kind == AttemptOutcome::Kind::kSuccess) {
    if (o.ttft_ms >= 0 && o.completion_tokens > 1) {
      double total = std::chrono::duration<double, std::milli>(latency).count();
      app_.latency.observe(current_target_, o.ttft_ms, (total - o.ttft_ms) / (o.completion_tokens - 1));
    }
    final_outcome_ = o;
    lock.unlock();
    complete(200);
    return;
  }
  if (o.kind == AttemptOutcome::Kind::kCancelled || client_gone_) {
    final_outcome_ = o;
    final_outcome_.kind = AttemptOutcome::Kind::kCancelled;
    lock.unlock();
    complete(499);
    return;
  }
  if (committed_) {
    final_outcome_ = o;
    lock.unlock();
    complete(502);
    return;
  }
  lock.unlock();
  after_failure(o);
}

void ChatExchange::after_failure(const AttemptOutcome& o) {
  // A client error from the target is the request's fault: relay it, don't fail over.
  if (o.kind == AttemptOutcome::Kind::kUpstreamStatus && o.status >= 400 && o.status < 500 && o.status != 429 &&
      o.status != 408) {
    final_outcome_ = o;
    openai::ApiError e{o.status, o.message, o.code, "", ""};
    if (!o.upstream_body.empty() && json::accept(o.upstream_body)) {
      std::lock_guard lock(mu_);
      pending_body_ = o.upstream_body;
    }
    reject(e);
    return;
  }
  auto d = retries_->after_failure(breaker_outcome(o), parse_retry_after(o.retry_after));
  std::unique_lock lock(mu_);
  last_failure_ = o;
  // admission.spill_to_cloud: false keeps a request the local queue refused from moving on.
  bool spill_blocked = o.kind == AttemptOutcome::Kind::kOverloaded && !app_.config.policies.admission.spill_to_cloud;
  if (d.retry && !spill_blocked && plan_index_ + 1 < plan_.targets.size()) {
    failover_notes_.push_back("failover: " + current_target_ + " " + o.code);
    ++plan_index_;
    lock.unlock();
    dispatch();
    return;
  }
  if (d.retry && d.same_target_fits) {
    failover_notes_.push_back("retry: " + current_target_ + " " + o.code);
    lock.unlock();
    app_.timers.after(d.backoff, [self = shared_from_this()] { self->dispatch(); });
    return;
  }
  final_outcome_ = o;
  lock.unlock();
  reject(final_error(o));
}

http::Headers ChatExchange::response_headers() const {
  http::Headers h{{"x-request-id", request_id_}};
  if (!current_target_.empty()) h.emplace_back("x-switchyard-route", current_target_);
  std::string reason = decision_.reason_header();
  for (const auto& n : failover_notes_) reason += (reason.empty() ? "" : "; ") + n;
  if (!reason.empty()) h.emplace_back("x-switchyard-reason", reason);
  return h;
}

void ChatExchange::reject(openai::ApiError error) {
  std::unique_lock lock(mu_);
  if (finished_) return;
  finished_ = true;
  bool committed = committed_;
  std::string relay = std::exchange(pending_body_, {});
  lock.unlock();
  if (final_outcome_.status == 0) final_outcome_.status = error.status;
  auto record = audit_record(error.status, &error);
  auto send = [self = shared_from_this(), error, committed, relay](bool durable) {
    if (committed) {
      json ev = json::parse(openai::error_body(error));
      self->channel_->write("data: " + ev.dump() + "\n\n");
      self->channel_->finish();
      return;
    }
    http::Headers h = self->response_headers();
    h.emplace_back("content-type", "application/json");
    if (!error.retry_after.empty()) h.emplace_back("retry-after", error.retry_after);
    self->channel_->respond(error.status, std::move(h), relay.empty() ? openai::error_body(error) : relay);
  };
  log_access(error.status);
  emit(std::move(record), std::move(send));
}

void ChatExchange::complete(int status) {
  std::unique_lock lock(mu_);
  if (finished_) return;
  finished_ = true;
  bool committed = committed_;
  std::string body = std::exchange(pending_body_, {});
  stage_ = "complete";
  lock.unlock();
  const AttemptOutcome& o = final_outcome_;
  // Priced at the model that actually answered (for `auto`, the router's choice).
  double actual = app_.price_usd(served_model_, app_.is_local(current_target_), o.prompt_tokens, o.completion_tokens);
  if (reservation_) {
    if (status == 200) app_.budgets->reconcile(std::move(*reservation_), actual);
    else app_.budgets->release(std::move(*reservation_));
    reservation_.reset();
  }
  // The token bucket was charged the worst case (prompt + max_tokens); charge
  // what the answer really used, when the upstream reported it.
  if (rate_tokens_charged_ > 0 && o.prompt_tokens + o.completion_tokens > 0) {
    app_.rate_limiter->settle_tokens(ctx_.key_id, policies::RateLimits::of(*tenant_), rate_tokens_charged_,
                                     o.prompt_tokens + o.completion_tokens);
  }
  openai::ApiError stream_error{502, "the answer was interrupted: " + o.message, "stream_interrupted", "", ""};
  auto record = audit_record(status, status == 200 || status == 499 ? nullptr : &stream_error);
  record["cost_actual_usd"] = actual;
  auto send = [self = shared_from_this(), status, committed, body, stream_error](bool durable) {
    if (status == 499) {
      self->channel_->finish();
      return;
    }
    if (!durable) {
      openai::ApiError e{500, "the audit log could not record this request", "audit_unavailable", "", ""};
      if (committed) {
        self->channel_->write("data: " + openai::error_body(e) + "\n\n");
        self->channel_->finish();
      } else {
        self->channel_->respond(500, {{"content-type", "application/json"}}, openai::error_body(e));
      }
      return;
    }
    if (status != 200) {  // failure after the commit point: an explicit error event, no [DONE]
      self->channel_->write("data: " + openai::error_body(stream_error) + "\n\n");
      self->channel_->finish();
      return;
    }
    if (self->chat_.stream) {
      if (!committed) self->channel_->start_stream(200, self->response_headers());
      self->channel_->write("data: [DONE]\n\n");
      self->channel_->finish();
    } else {
      http::Headers h = self->response_headers();
      h.emplace_back("content-type", "application/json");
      self->channel_->respond(200, std::move(h), body);
    }
  };
  log_access(status);
  emit(std::move(record), std::move(send));
}

}  // namespace sy::gateway
