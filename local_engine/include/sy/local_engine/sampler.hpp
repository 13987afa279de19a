#pragma once
// Token sampler: temperature, top-k, top-p, min-p with a seedable RNG;
// temperature <= 0 is greedy (argmax, lowest id on ties).
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "sy/local_engine/engine.hpp"

namespace sy::local_engine::runtime {

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);
  int32_t sample(std::span<const float> logits);
  // log-probability (after temperature, before truncation) of the last sampled token.
  float last_logprob() const { return last_logprob_; }

 private:
  int32_t sample_filtered(std::span<const float> logits);
  int32_t sample_greedy(std::span<const float> logits);
  int32_t sample_top_p(double total);  // weights_ filled, top-p the only truncation

  float temperature_;
  float top_p_;
  int top_k_;
  float min_p_;
  std::mt19937_64 rng_;
  std::vector<float> weights_;  // per token, reused across calls
  std::vector<double> mass_;    // top-p histogram
  std::vector<std::pair<float, int32_t>> cand_;
  float last_logprob_ = 0.0f;
};

int32_t argmax(std::span<const float> logits);

// Holds back streamed text that might be the start of a stop sequence and
// reports when one is complete (the stop text itself is never emitted).
class StopSequenceFilter {
 public:
  explicit StopSequenceFilter(std::vector<std::string> stops);
  // Returns the text safe to emit now; sets stopped() when a stop sequence completed.
  std::string push(std::string_view text);
  // Remaining held text (call at the end when not stopped).
  std::string flush();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string held_;
  bool stopped_ = false;
};

}  // namespace sy::local_engine::runtime
