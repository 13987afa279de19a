#pragma once
// Everything a request needs, built once at startup and shared by all
// connections. Each member is thread-safe on its own.
#include <atomic>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app/delayed_executor.hpp"
#include "app/metrics.hpp"
#include "backends/backend.hpp"
#include "backends/cloud_backend.hpp"
#include "backends/local_backend.hpp"
#include "sy/config/config.hpp"
#include "sy/gateway/audit/writer.hpp"
#include "sy/policies/budget.hpp"
#include "sy/policies/circuit_breaker.hpp"
#include "sy/policies/clock.hpp"
#include "sy/policies/rate_limiter.hpp"
#include "sy/policies/virtual_keys.hpp"
#include "sy/router/latency.hpp"
#include "sy/router/router.hpp"
#include "sy/router/volume.hpp"

namespace sy::gateway {

// Receives one finished audit record; false means it could not be made
// durable (the request then fails closed when audit.on_failure is reject).
using AuditSink = std::function<void(nlohmann::json record, std::function<void(bool durable)> done)>;

struct AppState {
  explicit AppState(config::Config cfg);

  config::Config config;
  const policies::Clock& clock = policies::SystemClock::instance();
  std::unique_ptr<router::Router> router;
  router::VolumeTracker volume;
  router::LatencyModel latency;
  std::unique_ptr<LocalBackend> local;  // null when no local engine is configured
  std::unique_ptr<CloudBackend> cloud;  // null when no cloud upstream is configured
  std::unique_ptr<policies::BreakerRegistry> breakers;
  std::unique_ptr<policies::KeyStore> keys;
  std::unique_ptr<policies::BudgetLedger> budgets;
  std::unique_ptr<policies::RateLimiter> rate_limiter;
  DelayedExecutor timers;
  std::unique_ptr<audit::AuditLog> audit_log;
  AuditSink audit;  // unset: audit disabled
  std::atomic<bool> draining{false};
  RequestCounters requests;  // for /metrics

  Backend* backend(const std::string& target) const;
  bool is_local(const std::string& target) const { return local && target == config.routing.local_target; }
  double price_usd(const std::string& model, bool local_target, int prompt_tokens, int completion_tokens) const;
};

}  // namespace sy::gateway
