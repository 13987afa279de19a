// The audit record and access-log line of one chat exchange. Neither ever
// contains message text, keys or entity values: types, counts and spans only.
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>

#include "pipeline/chat_exchange.hpp"

namespace sy::gateway {

using nlohmann::json;

json ChatExchange::audit_record(int status, const openai::ApiError* error) const {
  audit::RequestRecord r;
  r.time = wall_started_;
  r.request_id = request_id_;
  r.key_id = ctx_.key_id;
  r.model = chat_.model;
  r.stream = chat_.stream;
  r.stage = stage_;
  if (stage_ != "bad_request" && stage_ != "auth") {
    audit::ClassificationSummary cs;
    cs.sensitive = classification_.sensitive || classification_.fail_closed;
    cs.failed = classification_.fail_closed;
    std::map<std::string, audit::EntityCount> by_type;
    for (const auto& f : classification_.findings) {
      auto& e = by_type[f.type];
      e.type = f.type;
      e.count++;
      e.spans.push_back({f.message, static_cast<int>(f.start), static_cast<int>(f.end)});
    }
    for (auto& [_, e] : by_type) cs.entities.push_back(std::move(e));
    r.classification = std::move(cs);
    r.route = audit::RouteSummary{decision_.rule, decision_.targets, decision_.egress, decision_.reasons};
    r.cost_estimated_usd = classification_.estimated_cost_usd;
  }
  r.attempts = attempts_;
  const AttemptOutcome& o = final_outcome_;
  if (status == 200) r.served_by = current_target_;
  r.commit_point_reached = committed_;
  r.client_aborted = status == 499;
  if (!o.finish_reason.empty()) r.finish_reason = o.finish_reason;
  if (o.prompt_tokens || o.completion_tokens) {
    r.tokens_in = o.prompt_tokens;
    r.tokens_out = o.completion_tokens;
  }
  if (o.ttft_ms >= 0) r.ttft_ms = o.ttft_ms;
  r.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
  r.status = status;
  if (error) r.error_type = openai::error_type_for_status(error->status);
  return audit::to_json(r);
}

void ChatExchange::emit(json record, std::function<void(bool durable)> send_final) {
  if (!app_.audit) {
    send_final(true);
    return;
  }
  app_.audit(std::move(record), std::move(send_final));
}

void ChatExchange::log_access(int status) const {
  app_.requests.count(status == 200 ? current_target_ : "", status);
  spdlog::info(
      R"({{"request_id":"{}","method":"{}","path":"{}","status":{},"route":"{}","key_id":"{}","sensitive":{},"stream":{},"latency_ms":{:.1f}}})",
      request_id_, request_.method, request_.target, status, current_target_, ctx_.key_id,
      classification_.sensitive || classification_.fail_closed, chat_.stream,
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count());
}

}  // namespace sy::gateway
