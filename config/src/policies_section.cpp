// `auth:`, `breakers:`, `retries:` and `admission:` -> policies::PolicyOptions.
#include <algorithm>
#include <cctype>
#include <cstdint>

#include "sections.hpp"

namespace sy::config::detail {
namespace {

using std::chrono::milliseconds;
constexpr int64_t kMaxMs = 24LL * 3600 * 1000;  // one day: anything longer is a typo
constexpr int64_t kMaxPerMinute = int64_t{1} << 40;
constexpr double kMaxUsd = 1e9;

milliseconds get_ms(const Section& s, const std::string& key, milliseconds fallback, int64_t min) {
  return milliseconds(s.get_int(key, fallback.count(), min, kMaxMs));
}

policies::BreakerOptions parse_breaker(const Section& s, const policies::BreakerOptions& base) {
  s.allow_only({"failure_rate", "slow_call_rate", "slow_call_ms", "window_calls", "min_calls", "open_ms",
                "max_open_ms", "half_open_probes", "consecutive_connect_failures_to_open"});
  policies::BreakerOptions o = base;
  // A rate of 0 would open on the first window full of successes.
  o.failure_rate = s.get_double("failure_rate", o.failure_rate, 0.01, 1.0);
  o.slow_call_rate = s.get_double("slow_call_rate", o.slow_call_rate, 0.01, 1.0);
  o.slow_call = get_ms(s, "slow_call_ms", o.slow_call, 1);
  o.window_calls = static_cast<int>(s.get_int("window_calls", o.window_calls, 1, 10000));
  // Unset, min_calls follows a smaller window instead of failing on it.
  o.min_calls = static_cast<int>(s.get_int("min_calls", std::min(o.min_calls, o.window_calls), 1, 10000));
  o.open = get_ms(s, "open_ms", o.open, 1);
  o.max_open = get_ms(s, "max_open_ms", std::max(o.max_open, o.open), 1);
  o.half_open_probes = static_cast<int>(s.get_int("half_open_probes", o.half_open_probes, 1, 1000));
  o.consecutive_connect_failures_to_open = static_cast<int>(
      s.get_int("consecutive_connect_failures_to_open", o.consecutive_connect_failures_to_open, 0, 10000));
  if (o.min_calls > o.window_calls) {
    s.fail("min_calls", "must not exceed window_calls (" + std::to_string(o.window_calls) +
                            "): the window could never hold enough calls");
  }
  if (o.max_open < o.open) s.fail("max_open_ms", "must be at least open_ms (" + std::to_string(o.open.count()) + ")");
  return o;
}

bool is_hex64(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

policies::KeyOptions parse_key(const Section& s) {
  if (s.has("key")) s.fail("key", "never write the key itself; give key_sha256 (sha256 hex of the key)");
  s.allow_only({"id", "key_sha256", "allowed_targets", "allowed_models", "budget_usd_per_day",
                "budget_usd_per_month", "requests_per_minute", "tokens_per_minute", "latency_budget_ms"});
  policies::KeyOptions k;
  k.id = s.get_string("id");
  if (k.id.empty()) s.fail("id", "must not be empty");
  k.key_sha256 = s.get_string("key_sha256");
  if (!is_hex64(k.key_sha256)) {
    s.fail("key_sha256", "expected 64 hex digits (e.g. `printf %s \"$KEY\" | sha256sum`)");
  }
  std::transform(k.key_sha256.begin(), k.key_sha256.end(), k.key_sha256.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  k.allowed_targets = s.get_string_list("allowed_targets");
  for (const auto& t : k.allowed_targets) {
    if (t != "cloud" && t != "local") s.fail("allowed_targets", "\"" + t + "\" is not one of: cloud, local");
  }
  k.allowed_models = s.get_string_list("allowed_models");
  if (s.has("budget_usd_per_day")) k.budget_usd_per_day = s.get_double("budget_usd_per_day", {}, 0, kMaxUsd);
  if (s.has("budget_usd_per_month")) k.budget_usd_per_month = s.get_double("budget_usd_per_month", {}, 0, kMaxUsd);
  if (s.has("requests_per_minute")) k.requests_per_minute = s.get_int("requests_per_minute", {}, 1, kMaxPerMinute);
  if (s.has("tokens_per_minute")) k.tokens_per_minute = s.get_int("tokens_per_minute", {}, 1, kMaxPerMinute);
  if (s.has("latency_budget_ms")) k.latency_budget_ms = s.get_int("latency_budget_ms", {}, 1, kMaxMs);
  return k;
}

policies::AuthOptions parse_auth(const Section& auth) {
  auth.allow_only({"keys", "required"});
  policies::AuthOptions o;
  std::vector<Section> keys = auth.list("keys");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    policies::KeyOptions k = parse_key(keys[i]);
    for (const auto& prev : o.keys) {
      if (prev.id == k.id) keys[i].fail("id", "duplicate key id \"" + k.id + "\"");
      if (prev.key_sha256 == k.key_sha256) keys[i].fail("key_sha256", "same hash as key \"" + prev.id + "\"");
    }
    o.keys.push_back(std::move(k));
  }
  o.required = auth.get_bool("required", !o.keys.empty());
  if (o.required && o.keys.empty()) {
    auth.fail("required", "authentication is required but no keys are configured under auth.keys");
  }
  return o;
}

std::map<std::string, policies::BreakerOptions> parse_breakers(const Section& breakers) {
  breakers.allow_only({"default", "cloud", "local"});
  const policies::BreakerOptions base = parse_breaker(breakers.child("default"), policies::BreakerOptions{});
  std::map<std::string, policies::BreakerOptions> out;
  for (const char* target : {"cloud", "local"}) out[target] = parse_breaker(breakers.child(target), base);
  return out;
}

policies::RetryOptions parse_retries(const Section& s) {
  s.allow_only({"max_attempts", "base_backoff_ms", "max_backoff_ms", "deadline_ms"});
  policies::RetryOptions o;
  o.max_attempts = static_cast<int>(s.get_int("max_attempts", o.max_attempts, 1, 20));
  o.base_backoff = get_ms(s, "base_backoff_ms", o.base_backoff, 0);
  o.max_backoff = get_ms(s, "max_backoff_ms", std::max(o.max_backoff, o.base_backoff), 0);
  o.deadline = get_ms(s, "deadline_ms", o.deadline, 1);
  if (o.max_backoff < o.base_backoff) {
    s.fail("max_backoff_ms", "must be at least base_backoff_ms (" + std::to_string(o.base_backoff.count()) + ")");
  }
  return o;
}

policies::AdmissionOptions parse_admission(const Section& s) {
  s.allow_only({"max_queue", "queue_timeout_ms", "spill_to_cloud"});
  policies::AdmissionOptions o;
  o.max_queue = static_cast<std::size_t>(s.get_int("max_queue", static_cast<int64_t>(o.max_queue), 0, 1000000));
  o.queue_timeout = get_ms(s, "queue_timeout_ms", o.queue_timeout, 0);
  o.spill_to_cloud = s.get_bool("spill_to_cloud", o.spill_to_cloud);
  return o;
}

}  // namespace

policies::PolicyOptions parse_policies(const Section& root, const ParseContext& ctx) {
  policies::PolicyOptions o;
  o.auth = parse_auth(root.child("auth"));
  o.breakers = parse_breakers(root.child("breakers"));
  o.retries = parse_retries(root.child("retries"));
  o.admission = parse_admission(root.child("admission"));
  return o;
}

}  // namespace sy::config::detail
