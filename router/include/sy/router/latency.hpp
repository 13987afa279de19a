#pragma once
// Predicted latency per target from observed time-to-first-token and
// inter-token latency (EWMA), plus, for the local engine, its queue depth and
// throughput. Fed by the pipeline after each attempt. Thread-safe.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace sy::router {

struct LatencyEstimate {
  double ttft_ms = 0.0;
  double inter_token_ms = 0.0;
  int64_t samples = 0;
};

class LatencyModel {
 public:
  explicit LatencyModel(double alpha = 0.2) : alpha_(alpha) {}

  void observe(const std::string& target, double ttft_ms, double inter_token_ms);
  // Local engine load: sequences waiting and its decode throughput (tokens/s, all sequences).
  void set_queue(const std::string& target, int64_t queue_depth, double tokens_per_second);

  std::optional<LatencyEstimate> estimate(const std::string& target) const;
  // Predicted ms until the whole answer of `output_tokens` tokens; nullopt
  // when nothing was observed for the target yet.
  std::optional<double> predict_ms(const std::string& target, int64_t output_tokens) const;

 private:
  struct State {
    LatencyEstimate est;
    int64_t queue_depth = 0;
    double tokens_per_second = 0.0;
  };
  double alpha_;
  mutable std::mutex mu_;
  std::map<std::string, State> targets_;
};

}  // namespace sy::router
