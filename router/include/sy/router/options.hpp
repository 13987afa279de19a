#pragma once
// Router configuration (config/src/routing_section.cpp fills it from YAML).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sy::router {

struct ModelPrice {
  double input_per_mtok = 0.0;   // USD per million prompt tokens
  double output_per_mtok = 0.0;  // USD per million completion tokens
};

// A config-defined detector: literal keywords (case-insensitive) and/or
// regexes. `level` "sensitive" makes the request sensitive; "flag" only
// reports the finding (useful to audit a rule before enforcing it).
struct CustomRule {
  std::string name;  // reported as the finding type
  std::vector<std::string> keywords;
  std::vector<std::string> regexes;
  std::string level = "sensitive";  // sensitive | flag
};

struct SensitivityOptions {
  // Built-in detector names (see kAllDetectors in classifier.hpp); empty = all.
  std::vector<std::string> detectors;
  std::vector<CustomRule> custom;
  // Total bytes of scanned text per request; beyond it the request fails closed.
  int64_t scan_limit_bytes = 8 << 20;
};

// One rule condition; every set field must hold (AND). Unset = don't care.
struct RuleCondition {
  std::optional<bool> sensitive;
  std::vector<std::string> entity_types_any;  // matches when any finding has one of these types
  std::vector<std::pair<std::string, std::string>> headers;  // lower-cased name, exact value
  std::vector<std::string> models;  // requested model is one of these
  std::vector<std::string> keys;    // virtual key id is one of these
  std::optional<double> estimated_cost_usd_over;
  std::optional<int64_t> prompt_tokens_over;
  std::optional<double> key_requests_per_minute_over;
  std::optional<double> key_tokens_per_minute_over;
  std::optional<bool> high_volume;
  std::optional<int64_t> latency_budget_ms_under;
  std::optional<bool> local_available;
};

// Ordered; first match wins. Targets are target names or the pseudo targets
// "fastest" (by predicted latency) and "cheapest" (by estimated cost).
struct RoutingRule {
  std::string name;
  RuleCondition when;
  std::vector<std::string> targets;
};

// Explicit permission for one key to send sensitive prompts whose findings
// are all of these entity types to the cloud. Default: none.
struct EgressExemption {
  std::string key_id;
  std::vector<std::string> entity_types;
};

struct VolumeOptions {
  int64_t window_ms = 60000;
  double high_requests_per_minute = 0.0;  // 0: off
  double high_tokens_per_minute = 0.0;    // 0: off
};

struct RouterOptions {
  std::map<std::string, ModelPrice> pricing;  // model name -> price
  std::string local_target = "local";
  std::string cloud_target = "cloud";
  std::string local_model = "gpt-oss-20b";         // model name the local engine answers to
  std::string cloud_default_model = "gpt-4o-mini";  // used for `auto`
  ModelPrice local_price;                           // usually 0

  SensitivityOptions sensitivity;
  std::vector<RoutingRule> rules;
  std::string on_sensitive_cloud_request = "reroute";  // reroute | reject
  std::vector<EgressExemption> egress_exemptions;
  VolumeOptions volume;

  std::optional<int64_t> default_latency_budget_ms;
  std::map<std::string, int64_t> key_latency_budget_ms;  // per virtual key
  int64_t default_max_output_tokens = 1024;  // when the request sets no max_tokens
  double bytes_per_token = 4.0;              // fallback estimate for ASCII text
};

}  // namespace sy::router
