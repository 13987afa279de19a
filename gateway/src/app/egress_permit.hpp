#pragma once
// The only way to address a target: a permit issued from the router's
// decision. The gateway re-derives the egress rule independently here, right
// before every attempt, so a bug in rules, failover or retries cannot leak a
// prompt: a sensitive (or unclassifiable) request reaches a non-local target
// only when the decision allows it AND a configured exemption for this key
// covers every sensitive entity type found.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "sy/router/classification.hpp"
#include "sy/router/options.hpp"
#include "sy/router/router.hpp"

namespace sy::gateway {

class EgressPermit {
 public:
  static std::optional<EgressPermit> issue(const router::RouteDecision& decision, const router::Classification& c,
                                           const std::string& target, bool target_is_local, const std::string& key_id,
                                           const std::vector<router::EgressExemption>& exemptions) {
    if (!decision.allows(target)) return std::nullopt;
    if (target_is_local || (!c.sensitive && !c.fail_closed)) return EgressPermit(target);
    if (c.fail_closed || key_id.empty()) return std::nullopt;
    const std::vector<std::string> types = c.entity_types();
    if (types.empty()) return std::nullopt;
    for (const auto& ex : exemptions) {
      if (ex.key_id != key_id) continue;
      bool covered = std::all_of(types.begin(), types.end(), [&](const std::string& t) {
        return std::find(ex.entity_types.begin(), ex.entity_types.end(), t) != ex.entity_types.end();
      });
      if (covered) return EgressPermit(target);
    }
    return std::nullopt;
  }
  const std::string& target() const { return target_; }

 private:
  explicit EgressPermit(std::string target) : target_(std::move(target)) {}
  std::string target_;
};

}  // namespace sy::gateway
