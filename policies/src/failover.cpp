#include "sy/policies/failover.hpp"

#include <algorithm>

namespace sy::policies {

std::string_view to_string(Availability a) {
  switch (a) {
    case Availability::kAvailable: return "available";
    case Availability::kCircuitOpen: return "circuit open";
    case Availability::kHalfOpenBusy: return "recovering, probes in flight";
    case Availability::kRateLimited: return "rate limited upstream";
    case Availability::kQueueFull: return "queue full";
    case Availability::kNotConfigured: return "not configured";
  }
  return "unknown";
}

std::string target_label(std::string_view target) {
  if (target == "local") return "local engine";
  if (target == "cloud") return "cloud endpoint";
  return std::string(target);
}

Availability breaker_availability(const CircuitBreaker& breaker) {
  const BreakerSnapshot s = breaker.snapshot();
  if (s.rate_limited_remaining.count() > 0) return Availability::kRateLimited;
  switch (s.state) {
    case BreakerState::kOpen: return Availability::kCircuitOpen;
    case BreakerState::kHalfOpen:
      return s.probes_in_flight + s.probes_succeeded < breaker.options().half_open_probes
                 ? Availability::kAvailable
                 : Availability::kHalfOpenBusy;
    case BreakerState::kClosed: return Availability::kAvailable;
  }
  return Availability::kCircuitOpen;
}

AttemptPlan plan_attempts(const std::vector<std::string>& ordered_targets, const std::vector<std::string>& egress,
                          bool sensitive, const AvailabilityFn& availability) {
  AttemptPlan plan;
  std::vector<std::string> seen;
  for (const auto& t : ordered_targets) {
    if (std::find(egress.begin(), egress.end(), t) == egress.end()) continue;  // the egress guarantee
    if (std::find(seen.begin(), seen.end(), t) != seen.end()) continue;
    seen.push_back(t);
    const Availability a = availability ? availability(t) : Availability::kAvailable;
    if (a == Availability::kAvailable) {
      plan.targets.push_back(t);
    } else {
      plan.skipped.push_back({t, a});
    }
  }
  if (!plan.targets.empty()) return plan;

  std::string why = sensitive ? "sensitive request and " : "no allowed target available: ";
  if (plan.skipped.empty()) {
    why += "no target in the request's egress set";
  } else {
    for (std::size_t i = 0; i < plan.skipped.size(); ++i) {
      if (i) why += ", ";
      why += target_label(plan.skipped[i].target) + " unavailable (" + std::string(to_string(plan.skipped[i].why)) + ")";
    }
  }
  plan.unavailable_reason = std::move(why);
  return plan;
}

AttemptPlan plan_attempts(const router::RouteDecision& decision, const router::Classification& classification,
                          const AvailabilityFn& availability) {
  return plan_attempts(decision.targets, decision.egress, classification.sensitive || classification.fail_closed,
                       availability);
}

}  // namespace sy::policies
