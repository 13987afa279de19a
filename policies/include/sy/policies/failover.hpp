#pragma once
// Failover plan: the router's ordered targets, restricted to the request's
// egress set and to targets that can take a request now.
//
// The egress set is authoritative: a target outside it never appears in a
// plan, whatever its order, health or the breaker states (cloud -> local is
// allowed whenever the router put local in the egress set; local -> cloud only
// when the router put cloud there, i.e. for non-sensitive requests).
// Availability may change between planning and dispatch: the caller still
// takes a breaker permit per attempt and moves on when it is refused.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sy/policies/circuit_breaker.hpp"
#include "sy/router/classification.hpp"
#include "sy/router/router.hpp"

namespace sy::policies {

enum class Availability { kAvailable, kCircuitOpen, kHalfOpenBusy, kRateLimited, kQueueFull, kNotConfigured };
std::string_view to_string(Availability a);

struct SkippedTarget {
  std::string target;
  Availability why = Availability::kAvailable;  // kAvailable never appears here
};

struct AttemptPlan {
  std::vector<std::string> targets;    // try in this order; subset of egress, no duplicates
  std::vector<SkippedTarget> skipped;  // allowed but unavailable now, in router order
  // Why nothing is available (empty when `targets` is not), for a 503 in
  // OpenAI shape, e.g. "sensitive request and local engine unavailable (circuit open)".
  std::string unavailable_reason;
  bool empty() const { return targets.empty(); }
};

using AvailabilityFn = std::function<Availability(std::string_view target)>;

AttemptPlan plan_attempts(const std::vector<std::string>& ordered_targets, const std::vector<std::string>& egress,
                          bool sensitive, const AvailabilityFn& availability);

// The router's decision: its targets within its egress set; a classification
// that failed closed counts as sensitive.
AttemptPlan plan_attempts(const router::RouteDecision& decision, const router::Classification& classification,
                          const AvailabilityFn& availability);

// Availability from the breakers alone (queue capacity is the caller's to add).
Availability breaker_availability(const CircuitBreaker& breaker);

// "local" -> "local engine", "cloud" -> "cloud endpoint", others unchanged.
std::string target_label(std::string_view target);

}  // namespace sy::policies
