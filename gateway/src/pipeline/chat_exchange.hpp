#pragma once
// One POST /v1/chat/completions, from parsed body to the last byte and the
// audit record: authenticate, classify, decide, admit, dispatch with failover
// over the decision's targets (before the streaming commit point only),
// respond, record.
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/app_state.hpp"
#include "http/response_channel.hpp"
#include "http/server.hpp"
#include "openai/errors.hpp"
#include "sy/gateway/audit/record.hpp"
#include "sy/policies/budget.hpp"
#include "sy/policies/circuit_breaker.hpp"
#include "sy/policies/failover.hpp"
#include "sy/policies/retry.hpp"

namespace sy::gateway {

class ChatExchange : public std::enable_shared_from_this<ChatExchange> {
 public:
  ChatExchange(AppState& app, http::Request request, std::shared_ptr<http::ResponseChannel> channel,
               std::string request_id);
  void run();

 private:
  bool prepare();  // parse .. admit; false when already answered
  void dispatch();
  void start_attempt(const std::string& target);
  void on_event(std::string data);
  void on_body(std::string body);
  void on_done(AttemptOutcome outcome);
  void after_failure(const AttemptOutcome& outcome);
  void reject(openai::ApiError error);
  void complete(int status);
  http::Headers response_headers() const;
  // Audit (chat_exchange_audit.cpp): the record of this request, then the
  // final bytes once it is durable (or at once when audit is off).
  nlohmann::json audit_record(int status, const openai::ApiError* error) const;
  void emit(nlohmann::json record, std::function<void(bool durable)> send_final);
  void log_access(int status) const;
  policies::Outcome breaker_outcome(const AttemptOutcome& o) const;

  AppState& app_;
  http::Request request_;
  std::shared_ptr<http::ResponseChannel> channel_;
  std::string request_id_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point wall_started_ = std::chrono::system_clock::now();

  nlohmann::ordered_json body_;  // the client's request, key order kept
  router::ChatRequest chat_;
  router::RequestContext ctx_;
  policies::TenantPtr tenant_;
  router::Classification classification_;
  router::RouteDecision decision_;
  policies::AttemptPlan plan_;
  std::optional<policies::RetrySchedule> retries_;
  std::optional<policies::Reservation> reservation_;
  int64_t rate_tokens_charged_ = 0;  // tokens the rate limiter took up front (estimate), settled on completion
  std::string completion_id_;
  bool include_usage_ = false;

  std::mutex mu_;
  std::size_t plan_index_ = 0;
  std::string current_target_;
  std::string served_model_;  // model name sent to current_target_
  std::optional<policies::BreakerPermit> permit_;
  std::chrono::steady_clock::time_point attempt_started_;
  std::function<void()> cancel_attempt_;
  bool committed_ = false;
  bool finished_ = false;
  bool client_gone_ = false;
  std::string pending_body_;
  std::optional<AttemptOutcome> last_failure_;
  std::vector<std::string> failover_notes_;
  std::vector<audit::AttemptRecord> attempts_;
  std::string stage_ = "bad_request";  // where the request is (audit `stage`)
  AttemptOutcome final_outcome_;
};

}  // namespace sy::gateway
