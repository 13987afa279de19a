#pragma once
// One audit record per request, local or cloud, success or failure, including
// requests rejected before routing. The pipeline fills a RequestRecord and
// hands `to_json(record)` to AuditLog::append; the writer adds seq/prev/alg/hash
// (see chain.hpp).
//
// Record schema (JSON member names; absent values are null):
//   time                  request start, UTC, "2026-11-22T09:25:43.123Z"
//   request_id, key_id    virtual key id, never the key ("" when auth is off)
//   model, stream         as requested
//   stage                 where the request ended: "auth" | "bad_request" |
//                         "rate_limit" | "budget" | "routing" | "dispatch" | "complete"
//   classification        { sensitive, failed, entities: [ { type, count,
//                           spans: [ { message, start, end } ] } ] }   (offsets in
//                         code points; NEVER the matched values)
//   route                 { rule, targets[], egress[], reasons[] }
//   attempts              [ { target, outcome, status, latency_ms, breaker_state } ]
//   served_by             target whose answer reached the client, or null
//   commit_point_reached  first byte sent to the client
//   client_aborted, finish_reason, tokens_in, tokens_out,
//   cost_estimated_usd, cost_actual_usd, ttft_ms, latency_ms,
//   status                final HTTP status
//   error_type            OpenAI error.type, or null
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sy::gateway::audit {

struct EntitySpan {
  int message = 0;  // index into the request's messages
  int start = 0;    // code point offsets into that message's content
  int end = 0;
};

struct EntityCount {
  std::string type;  // detector name: email, iban, ...
  int count = 0;
  std::vector<EntitySpan> spans;
};

struct ClassificationSummary {
  bool sensitive = false;
  bool failed = false;  // classification failed and the request was treated as sensitive
  std::vector<EntityCount> entities;
};

struct RouteSummary {
  std::string rule;  // name or index of the rule that matched
  std::vector<std::string> targets;
  std::vector<std::string> egress;
  std::vector<std::string> reasons;
};

struct AttemptRecord {
  std::string target;
  std::string outcome;  // ok | error | timeout | rejected_by_breaker | client_abort ...
  int status = 0;       // upstream/engine status; 0 when none
  double latency_ms = 0;
  std::string breaker_state;  // closed | open | half_open, when the attempt started
};

struct RequestRecord {
  std::chrono::system_clock::time_point time{};
  std::string request_id;
  std::string key_id;
  std::string model;
  bool stream = false;
  std::string stage;
  std::optional<ClassificationSummary> classification;
  std::optional<RouteSummary> route;
  std::vector<AttemptRecord> attempts;
  std::optional<std::string> served_by;
  bool commit_point_reached = false;
  bool client_aborted = false;
  std::optional<std::string> finish_reason;
  std::optional<int64_t> tokens_in;
  std::optional<int64_t> tokens_out;
  std::optional<double> cost_estimated_usd;
  std::optional<double> cost_actual_usd;
  std::optional<double> ttft_ms;
  double latency_ms = 0;
  int status = 0;
  std::optional<std::string> error_type;
};

nlohmann::json to_json(const RequestRecord& r);

// "YYYY-MM-DDTHH:MM:SS.mmmZ" in UTC.
std::string format_utc(std::chrono::system_clock::time_point t);

}  // namespace sy::gateway::audit
