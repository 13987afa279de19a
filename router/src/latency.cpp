#include "sy/router/latency.hpp"

namespace sy::router {

void LatencyModel::observe(const std::string& target, double ttft_ms, double inter_token_ms) {
  std::lock_guard lock(mu_);
  State& s = targets_[target];
  if (s.est.samples == 0) {
    s.est.ttft_ms = ttft_ms;
    s.est.inter_token_ms = inter_token_ms;
  } else {
    s.est.ttft_ms += alpha_ * (ttft_ms - s.est.ttft_ms);
    s.est.inter_token_ms += alpha_ * (inter_token_ms - s.est.inter_token_ms);
  }
  ++s.est.samples;
}

void LatencyModel::set_queue(const std::string& target, int64_t queue_depth, double tokens_per_second) {
  std::lock_guard lock(mu_);
  State& s = targets_[target];
  s.queue_depth = queue_depth;
  s.tokens_per_second = tokens_per_second;
}

std::optional<LatencyEstimate> LatencyModel::estimate(const std::string& target) const {
  std::lock_guard lock(mu_);
  auto it = targets_.find(target);
  if (it == targets_.end() || it->second.est.samples == 0) return std::nullopt;
  return it->second.est;
}

std::optional<double> LatencyModel::predict_ms(const std::string& target, int64_t output_tokens) const {
  std::lock_guard lock(mu_);
  auto it = targets_.find(target);
  if (it == targets_.end() || it->second.est.samples == 0) return std::nullopt;
  const State& s = it->second;
  double ms = s.est.ttft_ms + s.est.inter_token_ms * static_cast<double>(output_tokens);
  // Waiting sequences ahead of us share the engine's throughput: each adds
  // roughly its own answer length at that rate (approximated by ours).
  if (s.queue_depth > 0 && s.tokens_per_second > 0) {
    ms += 1000.0 * static_cast<double>(s.queue_depth) * static_cast<double>(output_tokens) / s.tokens_per_second;
  }
  return ms;
}

}  // namespace sy::router
