#include "sy/policies/failover.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace sy::policies {
namespace {

using namespace std::chrono_literals;
using Targets = std::vector<std::string>;

AvailabilityFn table(std::map<std::string, Availability> m) {
  return [m = std::move(m)](std::string_view t) {
    auto it = m.find(std::string(t));
    return it == m.end() ? Availability::kAvailable : it->second;
  };
}

TEST(Failover, SkipsOpenBreakersInRouterOrder) {
  const AttemptPlan p = plan_attempts({"cloud", "local"}, {"cloud", "local"}, false,
                                      table({{"cloud", Availability::kCircuitOpen}}));
  EXPECT_EQ(p.targets, Targets{"local"});
  ASSERT_EQ(p.skipped.size(), 1u);
  EXPECT_EQ(p.skipped[0].target, "cloud");
  EXPECT_EQ(p.skipped[0].why, Availability::kCircuitOpen);
  EXPECT_TRUE(p.unavailable_reason.empty());
}

TEST(Failover, KeepsRouterOrderWhenAllHealthy) {
  EXPECT_EQ(plan_attempts({"local", "cloud"}, {"cloud", "local"}, false, table({})).targets,
            (Targets{"local", "cloud"}));
  EXPECT_EQ(plan_attempts({"cloud", "local"}, {"cloud", "local"}, false, table({})).targets,
            (Targets{"cloud", "local"}));
}

TEST(Failover, SensitiveRequestNeverFailsOverToCloud) {
  // The router ordered cloud too (a bug or a catch-all rule), but egress is local only.
  const AttemptPlan p = plan_attempts({"local", "cloud"}, {"local"}, true,
                                      table({{"local", Availability::kCircuitOpen}}));
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.unavailable_reason, "sensitive request and local engine unavailable (circuit open)");
}

TEST(Failover, ReasonNamesEveryUnavailableTarget) {
  const AttemptPlan p = plan_attempts(
      {"cloud", "local"}, {"cloud", "local"}, false,
      table({{"cloud", Availability::kRateLimited}, {"local", Availability::kQueueFull}}));
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.unavailable_reason,
            "no allowed target available: cloud endpoint unavailable (rate limited upstream), "
            "local engine unavailable (queue full)");
}

TEST(Failover, NoTargetInEgressSet) {
  const AttemptPlan p = plan_attempts({"cloud"}, {"local"}, true, table({}));
  EXPECT_TRUE(p.empty());
  EXPECT_NE(p.unavailable_reason.find("no target in the request's egress set"), std::string::npos);
}

TEST(Failover, DuplicatesInRouterOrderAppearOnce) {
  EXPECT_EQ(plan_attempts({"local", "local", "cloud", "local"}, {"cloud", "local"}, false, table({})).targets,
            (Targets{"local", "cloud"}));
}

// Property: over many random orders, egress sets and availabilities, the plan
// is exactly the available egress targets in router order, never more.
TEST(Failover, NeverLeavesTheEgressSetProperty) {
  const Targets universe = {"cloud", "local", "cloud-eu", "backup"};
  const Availability states[] = {Availability::kAvailable, Availability::kCircuitOpen, Availability::kHalfOpenBusy,
                                 Availability::kRateLimited, Availability::kQueueFull};
  std::mt19937 rng(20261122);
  int empty_plans = 0, nonempty_plans = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Targets ordered, egress;
    const int n = static_cast<int>(rng() % 6);
    for (int i = 0; i < n; ++i) ordered.push_back(universe[rng() % universe.size()]);
    for (const auto& t : universe) {
      if (rng() % 2) egress.push_back(t);
    }
    std::map<std::string, Availability> avail;
    for (const auto& t : universe) avail[t] = states[rng() % 5 == 0 ? 0 : rng() % 5];
    const bool sensitive = rng() % 2;

    const AttemptPlan p = plan_attempts(ordered, egress, sensitive, table(avail));

    std::set<std::string> seen;
    for (const auto& t : p.targets) {
      ASSERT_NE(std::find(egress.begin(), egress.end(), t), egress.end()) << "left the egress set: " << t;
      ASSERT_EQ(avail[t], Availability::kAvailable) << t;
      ASSERT_TRUE(seen.insert(t).second) << "duplicate " << t;
    }
    // Order: a subsequence of the router's order of first appearances.
    Targets first_seen;
    for (const auto& t : ordered) {
      if (std::find(first_seen.begin(), first_seen.end(), t) == first_seen.end()) first_seen.push_back(t);
    }
    Targets expected;
    for (const auto& t : first_seen) {
      if (std::find(egress.begin(), egress.end(), t) != egress.end() && avail[t] == Availability::kAvailable) {
        expected.push_back(t);
      }
    }
    ASSERT_EQ(p.targets, expected);
    ASSERT_EQ(p.empty(), !p.unavailable_reason.empty());
    if (p.empty()) {
      ++empty_plans;
      ASSERT_EQ(p.unavailable_reason.rfind(sensitive ? "sensitive request and " : "no allowed target", 0), 0u)
          << p.unavailable_reason;
    } else {
      ++nonempty_plans;
    }
  }
  // The generator exercised both sides.
  EXPECT_GT(empty_plans, 1000);
  EXPECT_GT(nonempty_plans, 1000);
}

TEST(Failover, BreakerAvailabilityFollowsTheBreaker) {
  FakeClock clock;
  BreakerOptions o;
  o.min_calls = 1;
  o.window_calls = 1;
  o.open = 1000ms;
  o.half_open_probes = 1;
  BreakerRegistry reg({{"cloud", o}, {"local", o}}, clock);
  auto by_breaker = [&](std::string_view t) { return breaker_availability(reg.at(std::string(t))); };
  EXPECT_EQ(plan_attempts({"cloud", "local"}, {"cloud", "local"}, false, by_breaker).targets,
            (Targets{"cloud", "local"}));

  reg.at("cloud").try_acquire()->record(Outcome::kServerError, 1ms);
  EXPECT_EQ(breaker_availability(reg.at("cloud")), Availability::kCircuitOpen);
  EXPECT_EQ(plan_attempts({"cloud", "local"}, {"cloud", "local"}, false, by_breaker).targets, Targets{"local"});

  clock.advance(1000ms);  // half-open: one probe available
  EXPECT_EQ(breaker_availability(reg.at("cloud")), Availability::kAvailable);
  auto probe = reg.at("cloud").try_acquire();
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(breaker_availability(reg.at("cloud")), Availability::kHalfOpenBusy);

  reg.at("local").try_acquire()->record(Outcome::kRateLimited, 1ms, 5000ms);
  EXPECT_EQ(breaker_availability(reg.at("local")), Availability::kRateLimited);
  const AttemptPlan p = plan_attempts({"cloud", "local"}, {"cloud", "local"}, false, by_breaker);
  EXPECT_TRUE(p.empty());
  EXPECT_FALSE(p.unavailable_reason.empty());
}

}  // namespace
}  // namespace sy::policies

namespace sy::policies {
namespace {

TEST(Failover, FromRouteDecisionFailClosedCountsAsSensitive) {
  router::RouteDecision d;
  d.targets = {"local", "cloud"};
  d.egress = {"local"};
  router::Classification c;
  c.fail_closed = true;
  const AttemptPlan p = plan_attempts(d, c, [](std::string_view t) {
    return t == "local" ? Availability::kQueueFull : Availability::kAvailable;
  });
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.unavailable_reason, "sensitive request and local engine unavailable (queue full)");
}

}  // namespace
}  // namespace sy::policies
