// The audit record and access-log line of one chat exchange. Neither ever
// contains message text, keys or entity values: types, counts and spans only.
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>

#include "pipeline/chat_exchange.hpp"

namespace sy::gateway {

using nlohmann::json;

json ChatExchange::audit_record(int status, const openai::ApiError* error) const {
  json findings = json::array();
  std::map<std::string, int> counts;
  for (const auto& f : classification_.findings) {
    findings.push_back({{"type", f.type}, {"message", f.message}, {"field", f.field}, {"start", f.start},
                        {"end", f.end}, {"detector", f.detector}, {"sensitive", f.sensitive}});
    counts[f.type]++;
  }
  const AttemptOutcome& o = final_outcome_;
  json rec = {
      {"time", std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count()},
      {"request_id", request_id_},
      {"key_id", ctx_.key_id},
      {"method", request_.method},
      {"path", request_.target},
      {"model", chat_.model},
      {"stream", chat_.stream},
      {"classification",
       {{"sensitive", classification_.sensitive},
        {"fail_closed", classification_.fail_closed},
        {"fail_reason", classification_.fail_reason},
        {"entity_counts", counts},
        {"findings", findings},
        {"prompt_tokens_estimate", classification_.prompt_tokens_estimate}}},
      {"decision",
       {{"targets", decision_.targets},
        {"egress", decision_.egress},
        {"reasons", decision_.reasons},
        {"rule", decision_.rule}}},
      {"attempts", attempts_},
      {"route", current_target_},
      {"commit_point_reached", committed_},
      {"finish_reason", o.finish_reason},
      {"tokens_in", o.prompt_tokens},
      {"tokens_out", o.completion_tokens},
      {"cost_usd_estimated", classification_.estimated_cost_usd},
      {"ttft_ms", o.ttft_ms},
      {"latency_ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count()},
      {"status", status},
  };
  if (error) rec["error"] = {{"code", error->code}, {"type", openai::error_type_for_status(error->status)}};
  return rec;
}

void ChatExchange::emit(json record, std::function<void(bool durable)> send_final) {
  if (!app_.audit) {
    send_final(true);
    return;
  }
  app_.audit(std::move(record), std::move(send_final));
}

void ChatExchange::log_access(int status) const {
  spdlog::info(
      R"({{"request_id":"{}","method":"{}","path":"{}","status":{},"route":"{}","key_id":"{}","sensitive":{},"stream":{},"latency_ms":{:.1f}}})",
      request_id_, request_.method, request_.target, status, current_target_, ctx_.key_id,
      classification_.sensitive || classification_.fail_closed, chat_.stream,
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count());
}

}  // namespace sy::gateway
