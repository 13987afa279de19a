#include "sy/gateway/audit/record.hpp"

#include <ctime>

#include <fmt/format.h>

namespace sy::gateway::audit {
namespace {

template <class T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json to_json(const ClassificationSummary& c) {
  nlohmann::json entities = nlohmann::json::array();
  for (const auto& e : c.entities) {
    nlohmann::json spans = nlohmann::json::array();
    for (const auto& s : e.spans) spans.push_back({{"message", s.message}, {"start", s.start}, {"end", s.end}});
    entities.push_back({{"type", e.type}, {"count", e.count}, {"spans", std::move(spans)}});
  }
  return {{"sensitive", c.sensitive}, {"failed", c.failed}, {"entities", std::move(entities)}};
}

nlohmann::json to_json(const RouteSummary& r) {
  return {{"rule", r.rule}, {"targets", r.targets}, {"egress", r.egress}, {"reasons", r.reasons}};
}

}  // namespace

std::string format_utc(std::chrono::system_clock::time_point t) {
  // gmtime_r, not fmt's chrono formatter: fmt 9 formats time_points in local time.
  const auto ms = std::chrono::floor<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int frac = static_cast<int>(ms - static_cast<int64_t>(secs) * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

nlohmann::json to_json(const RequestRecord& r) {
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& a : r.attempts) {
    attempts.push_back({{"target", a.target},
                        {"outcome", a.outcome},
                        {"status", a.status},
                        {"latency_ms", a.latency_ms},
                        {"breaker_state", a.breaker_state}});
  }
  return {
      {"time", format_utc(r.time)},
      {"request_id", r.request_id},
      {"key_id", r.key_id},
      {"model", r.model},
      {"stream", r.stream},
      {"stage", r.stage},
      {"classification", r.classification ? to_json(*r.classification) : nlohmann::json(nullptr)},
      {"route", r.route ? to_json(*r.route) : nlohmann::json(nullptr)},
      {"attempts", std::move(attempts)},
      {"served_by", opt(r.served_by)},
      {"commit_point_reached", r.commit_point_reached},
      {"client_aborted", r.client_aborted},
      {"finish_reason", opt(r.finish_reason)},
      {"tokens_in", opt(r.tokens_in)},
      {"tokens_out", opt(r.tokens_out)},
      {"cost_estimated_usd", opt(r.cost_estimated_usd)},
      {"cost_actual_usd", opt(r.cost_actual_usd)},
      {"ttft_ms", opt(r.ttft_ms)},
      {"latency_ms", r.latency_ms},
      {"status", r.status},
      {"error_type", opt(r.error_type)},
  };
}

}  // namespace sy::gateway::audit
