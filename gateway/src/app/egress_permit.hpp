#pragma once
// The only way to address a target: a permit the router's decision issues.
// A sensitive (or unclassifiable) request's decision never lists the cloud in
// its egress set, and this check runs again right before every attempt, so a
// bug in failover or retries cannot leak a prompt.
#include <optional>
#include <string>

#include "sy/router/classification.hpp"
#include "sy/router/router.hpp"

namespace sy::gateway {

class EgressPermit {
 public:
  static std::optional<EgressPermit> issue(const router::RouteDecision& decision, const router::Classification& c,
                                           const std::string& target, bool target_is_local) {
    if (!decision.allows(target)) return std::nullopt;
    if ((c.sensitive || c.fail_closed) && !target_is_local) return std::nullopt;
    return EgressPermit(target);
  }
  const std::string& target() const { return target_; }

 private:
  explicit EgressPermit(std::string target) : target_(std::move(target)) {}
  std::string target_;
};

}  // namespace sy::gateway
