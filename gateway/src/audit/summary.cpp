#include "sy/gateway/audit/summary.hpp"

#include <fstream>
#include <set>

#include <fmt/format.h>

#include "sy/gateway/audit/record.hpp"

namespace sy::gateway::audit {
namespace {

std::string str_or(const nlohmann::json& j, const char* key, const std::string& fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() && !it->get<std::string>().empty() ? it->get<std::string>() : fallback;
}

const nlohmann::json* object_at(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}

// First numeric member among `keys` (the schema in record.hpp, then the
// pipeline's own spellings).
double first_num(const nlohmann::json& j, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it != j.end() && it->is_number()) return it->get<double>();
  }
  return 0.0;
}

void add(Summary& s, const nlohmann::json& r) {
  ++s.records;
  std::string target = str_or(r, "served_by", "");
  if (target.empty()) target = str_or(r, "route", "none");  // pipeline: route = target that answered
  ++s.by_target[target];
  auto status = r.find("status");
  ++s.by_status[status != r.end() && status->is_number_integer() ? std::to_string(status->get<int64_t>()) : "?"];
  if (r.contains("stage")) ++s.by_stage[str_or(r, "stage", "?")];
  std::string error_type = str_or(r, "error_type", "");
  if (const auto* err = object_at(r, "error")) error_type = str_or(*err, "type", error_type);
  if (!error_type.empty()) ++s.by_error_type[error_type];

  const nlohmann::json* route = object_at(r, "route");
  if (!route) route = object_at(r, "decision");
  if (route) {
    ++s.by_rule[str_or(*route, "rule", "?")];
    auto reasons = route->find("reasons");
    if (reasons != route->end() && reasons->is_array()) {
      for (const auto& reason : *reasons) {
        if (reason.is_string()) ++s.by_reason[reason.get<std::string>()];
      }
    }
  } else {
    ++s.by_rule["(not routed)"];
  }
  if (const auto* cls = object_at(r, "classification")) {
    if (cls->value("sensitive", false) || cls->value("fail_closed", false) || cls->value("failed", false))
      ++s.sensitive;
    std::set<std::string> types;
    for (const char* list : {"entities", "findings"}) {
      auto it = cls->find(list);
      if (it == cls->end() || !it->is_array()) continue;
      for (const auto& e : *it) {
        if (e.is_object()) types.insert(str_or(e, "type", "?"));
      }
    }
    if (const auto* counts = object_at(*cls, "entity_counts")) {
      for (const auto& [type, n] : counts->items()) types.insert(type);
    }
    for (const auto& t : types) ++s.by_entity[t];
  }
  s.cost_estimated_usd += first_num(r, {"cost_estimated_usd", "cost_usd_estimated"});
  s.cost_actual_usd += first_num(r, {"cost_actual_usd", "cost_usd_actual", "cost_usd"});
  s.tokens_in += static_cast<std::uint64_t>(first_num(r, {"tokens_in"}));
  s.tokens_out += static_cast<std::uint64_t>(first_num(r, {"tokens_out"}));
  std::string time = str_or(r, "time", "");
  if (auto t = r.find("time"); t != r.end() && t->is_number_integer())
    time = format_utc(std::chrono::system_clock::time_point(std::chrono::milliseconds(t->get<int64_t>())));
  if (!time.empty()) {
    if (s.first_time.empty() || time < s.first_time) s.first_time = time;
    if (s.last_time.empty() || time > s.last_time) s.last_time = time;
  }
}

void append_counts(std::string& out, const char* title, const std::map<std::string, std::uint64_t>& m) {
  if (m.empty()) return;
  out += fmt::format("{}:\n", title);
  for (const auto& [k, v] : m) out += fmt::format("  {:<32} {}\n", k, v);
}

}  // namespace

std::expected<Summary, std::string> summarize(const std::vector<std::string>& files) {
  Summary s;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::unexpected(file + ": cannot open file");
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object() || in.eof()) {
        ++s.unreadable_lines;
        continue;
      }
      add(s, j);
    }
  }
  return s;
}

nlohmann::json to_json(const Summary& s) {
  return {{"records", s.records},
          {"unreadable_lines", s.unreadable_lines},
          {"sensitive", s.sensitive},
          {"by_target", s.by_target},
          {"by_rule", s.by_rule},
          {"by_reason", s.by_reason},
          {"by_entity", s.by_entity},
          {"by_status", s.by_status},
          {"by_stage", s.by_stage},
          {"by_error_type", s.by_error_type},
          {"cost_estimated_usd", s.cost_estimated_usd},
          {"cost_actual_usd", s.cost_actual_usd},
          {"tokens_in", s.tokens_in},
          {"tokens_out", s.tokens_out},
          {"first_time", s.first_time},
          {"last_time", s.last_time}};
}

std::string format_text(const Summary& s) {
  std::string out = fmt::format("{} requests ({} sensitive), {} .. {}\n", s.records, s.sensitive,
                                s.first_time.empty() ? "-" : s.first_time, s.last_time.empty() ? "-" : s.last_time);
  append_counts(out, "by target", s.by_target);
  append_counts(out, "by rule", s.by_rule);
  append_counts(out, "by reason", s.by_reason);
  append_counts(out, "by entity type", s.by_entity);
  append_counts(out, "by status", s.by_status);
  append_counts(out, "by stage", s.by_stage);
  append_counts(out, "by error type", s.by_error_type);
  out += fmt::format("cost: estimated ${:.6f}, actual ${:.6f}; tokens in {}, out {}\n", s.cost_estimated_usd,
                     s.cost_actual_usd, s.tokens_in, s.tokens_out);
  if (s.unreadable_lines > 0) out += fmt::format("skipped {} unreadable line(s)\n", s.unreadable_lines);
  return out;
}

}  // namespace sy::gateway::audit
