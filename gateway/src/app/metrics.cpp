#include "app/metrics.hpp"

#include <fmt/format.h>

#include "app/app_state.hpp"

namespace sy::gateway {

std::string render_metrics(const AppState& app) {
  std::string out;
  out += "# HELP switchyard_requests_total Chat completion requests by the target that answered and final status.\n";
  out += "# TYPE switchyard_requests_total counter\n";
  for (const auto& [key, n] : app.requests.snapshot()) {
    out += fmt::format("switchyard_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                       key.first.empty() ? "none" : key.first, key.second, n);
  }
  out += "# HELP switchyard_breaker_state Circuit breaker per target: 0 closed, 1 half-open, 2 open.\n";
  out += "# TYPE switchyard_breaker_state gauge\n";
  for (const auto& snap : app.breakers->snapshot()) {
    int v = snap.state == policies::BreakerState::kClosed ? 0 : snap.state == policies::BreakerState::kHalfOpen ? 1 : 2;
    out += fmt::format("switchyard_breaker_state{{target=\"{}\"}} {}\n", snap.target, v);
    out += fmt::format("switchyard_breaker_transitions_total{{target=\"{}\"}} {}\n", snap.target, snap.transitions);
  }
  if (app.local) {
    auto stats = app.local->engine().stats();
    out += "# TYPE switchyard_local_queue_depth gauge\n";
    out += fmt::format("switchyard_local_queue_depth {}\n", app.local->queue_depth());
    out += "# TYPE switchyard_local_active_sequences gauge\n";
    out += fmt::format("switchyard_local_active_sequences {}\n", stats.active_sequences);
    out += "# TYPE switchyard_local_decode_tokens_per_second gauge\n";
    out += fmt::format("switchyard_local_decode_tokens_per_second {:.3f}\n", stats.recent_decode_tok_s);
    out += "# TYPE switchyard_local_kv_bytes gauge\n";
    out += fmt::format("switchyard_local_kv_bytes {}\n", stats.kv_bytes_used);
  }
  if (app.audit_log) {
    auto s = app.audit_log->stats();
    out += "# TYPE switchyard_audit_records_total counter\n";
    out += fmt::format("switchyard_audit_records_total{{durable=\"true\"}} {}\n", s.durable);
    out += fmt::format("switchyard_audit_records_total{{durable=\"false\"}} {}\n", s.failed);
  }
  return out;
}

}  // namespace sy::gateway
