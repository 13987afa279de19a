// `routing:` (sensitivity detectors, custom rules, ordered rules, egress
// exemptions, volume and latency settings) plus the prices under
// `cloud.pricing` and `local.pricing`.
#include <algorithm>

#include "sections.hpp"
#include "sy/router/router.hpp"

namespace sy::config::detail {
namespace {

const std::vector<std::string> kBuiltinTypes = {"EMAIL",      "PHONE",       "CREDIT_CARD", "IBAN",
                                                "US_SSN",     "CN_RESIDENT_ID", "IP_ADDRESS", "API_KEY",
                                                "PRIVATE_KEY", "PASSWORD",   "MEDICAL",     "CONFIDENTIAL_MARKER"};

std::vector<std::string> string_or_list(const Section& s, const std::string& key) {
  const YAML::Node& n = s.node();
  if (n.IsMap() && n[key] && n[key].IsScalar()) return {s.get_string(key)};
  return s.get_string_list(key);
}

router::ModelPrice parse_price(const Section& p) {
  p.allow_only({"input_per_mtok", "output_per_mtok"});
  router::ModelPrice price;
  price.input_per_mtok = p.get_double("input_per_mtok", 0.0, 0.0, 1e6);
  price.output_per_mtok = p.get_double("output_per_mtok", 0.0, 0.0, 1e6);
  return price;
}

void check_types(const Section& s, const std::string& key, const std::vector<std::string>& types,
                 const std::vector<std::string>& known) {
  for (const auto& t : types) {
    if (std::find(known.begin(), known.end(), t) != known.end()) continue;
    std::string hint = did_you_mean(t, known);
    s.fail(key, "unknown entity type \"" + t + "\"" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
  }
}

router::SensitivityOptions parse_sensitivity(const Section& s) {
  s.allow_only({"detectors", "custom", "scan_limit_bytes"});
  router::SensitivityOptions o;
  o.detectors = s.get_string_list("detectors");
  const auto& names = router::builtin_detector_names();
  for (const auto& d : o.detectors) {
    if (std::find(names.begin(), names.end(), d) != names.end()) continue;
    std::string hint = did_you_mean(d, names);
    s.fail("detectors", "unknown detector \"" + d + "\"" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
  }
  o.scan_limit_bytes = s.get_int("scan_limit_bytes", o.scan_limit_bytes, 1024, int64_t{1} << 32);
  for (const Section& c : s.list("custom")) {
    c.allow_only({"name", "keywords", "regexes", "level"});
    router::CustomRule r;
    r.name = c.get_string("name");
    if (r.name.empty()) c.fail("name", "must not be empty");
    r.keywords = c.get_string_list("keywords");
    r.regexes = c.get_string_list("regexes");
    r.level = c.get_enum("level", {"sensitive", "flag"}, "sensitive");
    if (r.keywords.empty() && r.regexes.empty()) c.fail_here("a custom rule needs `keywords` or `regexes`");
    for (const auto& re : r.regexes) {
      if (auto err = router::check_custom_regex(re)) c.fail("regexes", "regex \"" + re + "\" does not compile: " + *err);
    }
    o.custom.push_back(std::move(r));
  }
  return o;
}

router::RuleCondition parse_when(const Section& w, const std::vector<std::string>& known_types) {
  w.allow_only({"sensitive", "entity_types", "header", "model", "key", "estimated_cost_usd_over", "prompt_tokens_over",
                "key_requests_per_minute_over", "key_tokens_per_minute_over", "high_volume", "latency_budget_ms_under",
                "local_available"});
  router::RuleCondition c;
  if (w.has("sensitive")) c.sensitive = w.get_bool("sensitive");
  c.entity_types_any = string_or_list(w, "entity_types");
  check_types(w, "entity_types", c.entity_types_any, known_types);
  Section h = w.child("header");
  for (const auto& name : h.keys()) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    c.headers.emplace_back(lower, h.get_string(name));
  }
  c.models = string_or_list(w, "model");
  c.keys = string_or_list(w, "key");
  if (w.has("estimated_cost_usd_over")) c.estimated_cost_usd_over = w.get_double("estimated_cost_usd_over", std::nullopt, 0.0, 1e9);
  if (w.has("prompt_tokens_over")) c.prompt_tokens_over = w.get_int("prompt_tokens_over", std::nullopt, 0, int64_t{1} << 40);
  if (w.has("key_requests_per_minute_over"))
    c.key_requests_per_minute_over = w.get_double("key_requests_per_minute_over", std::nullopt, 0.0, 1e12);
  if (w.has("key_tokens_per_minute_over"))
    c.key_tokens_per_minute_over = w.get_double("key_tokens_per_minute_over", std::nullopt, 0.0, 1e15);
  if (w.has("high_volume")) c.high_volume = w.get_bool("high_volume");
  if (w.has("latency_budget_ms_under"))
    c.latency_budget_ms_under = w.get_int("latency_budget_ms_under", std::nullopt, 1, int64_t{1} << 40);
  if (w.has("local_available")) c.local_available = w.get_bool("local_available");
  return c;
}

}  // namespace

router::RouterOptions parse_routing(const Section& root, const ParseContext& ctx) {
  (void)ctx;
  router::RouterOptions o;
  // Prices live with their targets.
  Section cloud = root.child("cloud");
  Section pricing = cloud.child("pricing");
  for (const auto& model : pricing.keys()) o.pricing[model] = parse_price(pricing.child(model));
  Section local = root.child("local");
  if (local.has("pricing")) o.local_price = parse_price(local.child("pricing"));

  Section s = root.child("routing");
  s.allow_only({"sensitivity", "rules", "on_sensitive_cloud_request", "egress_exemptions", "volume", "latency",
                "default_max_output_tokens", "bytes_per_token"});
  o.sensitivity = parse_sensitivity(s.child("sensitivity"));
  std::vector<std::string> known_types = kBuiltinTypes;
  for (const auto& c : o.sensitivity.custom) known_types.push_back(c.name);

  const std::vector<std::string> targets = {o.local_target, o.cloud_target, "fastest", "cheapest"};
  for (const Section& r : s.list("rules")) {
    r.allow_only({"name", "when", "targets"});
    router::RoutingRule rule;
    rule.name = r.get_string("name", "");
    rule.when = parse_when(r.child("when"), known_types);
    rule.targets = r.get_string_list("targets");
    if (rule.targets.empty()) r.fail("targets", "a rule needs at least one target");
    for (const auto& t : rule.targets) {
      if (std::find(targets.begin(), targets.end(), t) != targets.end()) continue;
      std::string hint = did_you_mean(t, targets);
      r.fail("targets", "unknown target \"" + t + "\" (targets: local, cloud, fastest, cheapest)" +
                            (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
    }
    o.rules.push_back(std::move(rule));
  }
  o.on_sensitive_cloud_request = s.get_enum("on_sensitive_cloud_request", {"reroute", "reject"}, "reroute");
  for (const Section& e : s.list("egress_exemptions")) {
    e.allow_only({"key", "entity_types"});
    router::EgressExemption ex;
    ex.key_id = e.get_string("key");
    ex.entity_types = e.get_string_list("entity_types");
    if (ex.entity_types.empty()) e.fail("entity_types", "list the entity types this key may send to the cloud");
    check_types(e, "entity_types", ex.entity_types, known_types);
    o.egress_exemptions.push_back(std::move(ex));
  }
  Section v = s.child("volume");
  v.allow_only({"window_ms", "high_requests_per_minute", "high_tokens_per_minute"});
  o.volume.window_ms = v.get_int("window_ms", o.volume.window_ms, 1000, 86400000);
  o.volume.high_requests_per_minute = v.get_double("high_requests_per_minute", 0.0, 0.0, 1e12);
  o.volume.high_tokens_per_minute = v.get_double("high_tokens_per_minute", 0.0, 0.0, 1e15);
  Section l = s.child("latency");
  l.allow_only({"default_budget_ms", "per_key_budget_ms"});
  if (l.has("default_budget_ms")) o.default_latency_budget_ms = l.get_int("default_budget_ms", std::nullopt, 1, 86400000);
  Section pk = l.child("per_key_budget_ms");
  for (const auto& key : pk.keys()) o.key_latency_budget_ms[key] = pk.get_int(key, std::nullopt, 1, 86400000);
  o.default_max_output_tokens = s.get_int("default_max_output_tokens", o.default_max_output_tokens, 1, 1 << 24);
  o.bytes_per_token = s.get_double("bytes_per_token", o.bytes_per_token, 0.5, 64.0);
  return o;
}

}  // namespace sy::config::detail
