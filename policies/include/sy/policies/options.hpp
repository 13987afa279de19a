#pragma once
// Policy configuration: breakers, retries, keys, budgets, rate limits, local
// admission. config/src/policies_section.cpp fills it from the YAML root
// (`auth:`, `breakers:`, `retries:`, `admission:`); defaults here are the
// documented defaults.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sy::policies {

// One circuit breaker (per target: "cloud", "local", ...).
struct BreakerOptions {
  double failure_rate = 0.5;        // open when failures / window >= this
  double slow_call_rate = 1.0;      // open when slow calls / window >= this (1.0: all slow)
  std::chrono::milliseconds slow_call{15000};  // latency at or above this is a slow call
  int window_calls = 20;            // count-based sliding window
  int min_calls = 5;                // rates are not judged below this many calls
  std::chrono::milliseconds open{30000};       // first open period
  std::chrono::milliseconds max_open{300000};  // cap for the doubling open period
  int half_open_probes = 3;         // successful probes needed to close
  int consecutive_connect_failures_to_open = 3;  // offline fast path; 0 disables
};

// Retries before the streaming commit point; attempts count across failover.
struct RetryOptions {
  int max_attempts = 3;                          // total attempts, first one included
  std::chrono::milliseconds base_backoff{200};   // full jitter over base * 2^(n-1)
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds deadline{120000};    // whole request, all attempts and waits
};

// Local engine admission: requests beyond the engine's concurrency wait here.
struct AdmissionOptions {
  std::size_t max_queue = 64;                       // waiting requests; beyond: rejected
  std::chrono::milliseconds queue_timeout{30000};   // longest wait in the queue
  bool spill_to_cloud = true;  // non-sensitive requests go to the cloud when the queue is full
};

// One virtual key. Limits that are absent are unlimited.
struct KeyOptions {
  std::string id;
  std::string key_sha256;                    // lower-case hex SHA-256 of the bearer key
  std::vector<std::string> allowed_targets;  // empty: all
  std::vector<std::string> allowed_models;   // empty: all
  std::optional<double> budget_usd_per_day;
  std::optional<double> budget_usd_per_month;
  std::optional<int64_t> requests_per_minute;
  std::optional<int64_t> tokens_per_minute;
  std::optional<int64_t> latency_budget_ms;  // default latency budget for this key's requests
};

struct AuthOptions {
  bool required = false;  // config default: true when keys are configured
  std::vector<KeyOptions> keys;
};

struct PolicyOptions {
  AuthOptions auth;
  std::map<std::string, BreakerOptions> breakers;  // per target; others use defaults
  RetryOptions retries;
  AdmissionOptions admission;

  BreakerOptions breaker_for(const std::string& target) const {
    auto it = breakers.find(target);
    return it == breakers.end() ? BreakerOptions{} : it->second;
  }
};

}  // namespace sy::policies
