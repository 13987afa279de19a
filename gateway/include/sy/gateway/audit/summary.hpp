#pragma once
// Quick answers from audit files (record schema in record.hpp): requests by
// target, rule, reason, entity type and status, total cost. It reads, it does
// not verify — run verify for that. It also reads the pipeline's spellings
// (route = target that answered, decision = {rule, reasons}, classification
// findings/entity_counts, cost_usd_estimated, error.type, time in epoch ms).
#include <cstdint>
#include <expected>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sy::gateway::audit {

struct Summary {
  std::uint64_t records = 0;
  std::uint64_t unreadable_lines = 0;  // malformed or torn lines skipped
  std::uint64_t sensitive = 0;         // requests classified sensitive
  std::map<std::string, std::uint64_t> by_target;  // served_by; "none" when nothing answered
  std::map<std::string, std::uint64_t> by_rule;
  std::map<std::string, std::uint64_t> by_reason;
  std::map<std::string, std::uint64_t> by_entity;  // entity type -> requests containing it
  std::map<std::string, std::uint64_t> by_status;  // HTTP status
  std::map<std::string, std::uint64_t> by_stage;
  std::map<std::string, std::uint64_t> by_error_type;
  double cost_estimated_usd = 0;
  double cost_actual_usd = 0;
  std::uint64_t tokens_in = 0;
  std::uint64_t tokens_out = 0;
  std::string first_time, last_time;
};

std::expected<Summary, std::string> summarize(const std::vector<std::string>& files);
nlohmann::json to_json(const Summary& s);
std::string format_text(const Summary& s);

}  // namespace sy::gateway::audit
