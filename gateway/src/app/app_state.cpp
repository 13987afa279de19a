#include "app/app_state.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace sy::gateway {

AppState::AppState(config::Config cfg)
    : config(std::move(cfg)), volume(std::chrono::milliseconds(config.routing.volume.window_ms)) {
  router = std::make_unique<router::Router>(config.routing);
  if (config.local) {
    auto engine = local_engine::Engine::load(*config.local);
    if (!engine) throw std::runtime_error("local engine: " + engine.error());
    auto* raw = engine->get();
    router->set_token_counter([raw](std::string_view text) { return raw->count_tokens(text); });
    local = std::make_unique<LocalBackend>(config.routing.local_target, std::move(*engine),
                                           config.local->max_concurrent_sequences,
                                           static_cast<int>(config.policies.admission.max_queue),
                                           config.policies.admission.queue_timeout);
  }
  if (config.cloud) {
    auto opts = *config.cloud;
    opts.name = config.routing.cloud_target;
    cloud = std::make_unique<CloudBackend>(std::move(opts));
  }
  breakers = std::make_unique<policies::BreakerRegistry>(
      config.policies.breakers, clock, [](const policies::BreakerTransition& t) {
        spdlog::warn("breaker {}: {} -> {} ({})", t.target, policies::to_string(t.from), policies::to_string(t.to),
                     t.reason);
      });
  auto ks = policies::KeyStore::create(config.policies.auth);
  if (!ks) throw std::runtime_error("auth: " + ks.error());
  keys = std::make_unique<policies::KeyStore>(std::move(*ks));
  budgets = std::make_unique<policies::BudgetLedger>(clock);
  if (!config.audit.path.empty()) {
    auto log = audit::AuditLog::open(audit::writer_options(config.audit));
    if (!log) throw std::runtime_error("audit log: " + log.error());
    audit_log = std::move(*log);
    audit = [log = audit_log.get()](nlohmann::json record, std::function<void(bool)> done) {
      log->append(std::move(record), [done = std::move(done)](const audit::AppendResult& r) {
        if (!r.durable) spdlog::error("audit record not durable: {}", r.error);
        done(r.proceed);
      });
    };
  }
  rate_limiter = std::make_unique<policies::RateLimiter>(clock);
}

Backend* AppState::backend(const std::string& target) const {
  if (local && target == config.routing.local_target) return local.get();
  if (cloud && target == config.routing.cloud_target) return cloud.get();
  return nullptr;
}

double AppState::price_usd(const std::string& model, bool local_target, int prompt_tokens, int completion_tokens) const {
  router::ModelPrice p = config.routing.local_price;
  if (!local_target) {
    auto it = config.routing.pricing.find(model);
    if (it != config.routing.pricing.end()) p = it->second;
  }
  return (prompt_tokens * p.input_per_mtok + completion_tokens * p.output_per_mtok) / 1e6;
}

}  // namespace sy::gateway
