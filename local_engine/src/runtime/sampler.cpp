#include "sy/local_engine/sampler.hpp"

#include "sy/kernels/common/fp.hpp"
#include "sy/kernels/cpu/vector_math.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace sy::local_engine::runtime {

int32_t argmax(std::span<const float> logits) {
  size_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<int32_t>(best);
}

Sampler::Sampler(const SamplingParams& p)
    : temperature_(p.temperature),
      top_p_(p.top_p),
      top_k_(p.top_k),
      min_p_(p.min_p),
      rng_(p.seed ? *p.seed : std::random_device{}()) {}

int32_t Sampler::sample(std::span<const float> logits) {
  if (logits.empty()) return -1;
  if (!(temperature_ > 0.0f)) return sample_greedy(logits);
  return sample_filtered(logits);
}

int32_t Sampler::sample_greedy(std::span<const float> logits) {
  last_logprob_ = 0.0f;
  return argmax(logits);
}

int32_t Sampler::sample_filtered(std::span<const float> logits) {
  const float inv_t = 1.0f / temperature_;
  if (!std::isfinite(inv_t)) return sample_greedy(logits);  // a temperature too small for float: greedy
  const float max_l = kernels::cpu::finite_max(logits.data(), static_cast<int64_t>(logits.size()), -INFINITY);
  if (!std::isfinite(max_l)) return argmax(logits);
  // Probabilities relative to the max (unnormalised; 0 for non-finite logits).
  weights_.resize(logits.size());
  const double total = kernels::cpu::softmax_weights(logits.data(), static_cast<int64_t>(logits.size()), max_l, inv_t,
                                                     weights_.data());
  const bool truncated =
      min_p_ > 0.0f || (top_k_ > 0 && static_cast<size_t>(top_k_) < logits.size()) || top_p_ < 1.0f;
  if (!truncated) {
    // Straight from the weights, in index order (the candidate list below
    // would hold the same entries in the same order).
    const double r = std::uniform_real_distribution<double>(0.0, total)(rng_);
    double acc = 0.0;
    size_t pick = logits.size();
    for (size_t i = 0; i < weights_.size(); ++i) {
      if (weights_[i] <= 0.0f) continue;
      pick = i;  // the last positive weight, should rounding leave r >= acc
      acc += weights_[i];
      if (r < acc) break;
    }
    last_logprob_ = static_cast<float>(std::log(weights_[pick] / total));
    return static_cast<int32_t>(pick);
  }
  if (min_p_ <= 0.0f && !(top_k_ > 0 && static_cast<size_t>(top_k_) < logits.size())) return sample_top_p(total);
  cand_.clear();
  cand_.reserve(logits.size());
  for (size_t i = 0; i < logits.size(); ++i)
    if (std::isfinite(logits[i])) cand_.emplace_back(weights_[i], static_cast<int32_t>(i));
  // min-p: relative to the most likely token (weight 1 here).
  if (min_p_ > 0.0f) std::erase_if(cand_, [&](const auto& c) { return c.first < min_p_; });
  auto by_weight = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  size_t keep = cand_.size();
  if (top_k_ > 0 && static_cast<size_t>(top_k_) < keep) {
    std::partial_sort(cand_.begin(), cand_.begin() + top_k_, cand_.end(), by_weight);
    keep = static_cast<size_t>(top_k_);
    cand_.resize(keep);
  }
  if (top_p_ < 1.0f) {
    double kept_total = 0.0;
    for (size_t i = 0; i < keep; ++i) kept_total += cand_[i].first;
    // Grow a sorted prefix until it holds top_p of the mass.
    size_t sorted = 0, n = std::min<size_t>(64, keep);
    for (;;) {
      std::partial_sort(cand_.begin() + static_cast<long>(sorted), cand_.begin() + static_cast<long>(n),
                        cand_.begin() + static_cast<long>(keep), by_weight);
      sorted = n;
      double acc = 0.0;
      size_t cut = 0;
      for (; cut < sorted; ++cut) {
        acc += cand_[cut].first;
        if (acc >= top_p_ * kept_total) break;
      }
      if (cut < sorted) {
        keep = cut + 1;
        break;
      }
      if (sorted == keep) break;
      n = std::min(keep, n * 4);
    }
    cand_.resize(keep);
  }
  double mass = 0.0;
  for (size_t i = 0; i < keep; ++i) mass += cand_[i].first;
  std::uniform_real_distribution<double> uni(0.0, mass);
  const double r = uni(rng_);
  double acc = 0.0;
  size_t pick = keep - 1;
  for (size_t i = 0; i < keep; ++i) {
    acc += cand_[i].first;
    if (r < acc) {
      pick = i;
      break;
    }
  }
  last_logprob_ = static_cast<float>(std::log(cand_[pick].first / total));
  return cand_[pick].second;
}

// Top-p alone (the common case) without sorting the vocabulary: the nucleus is
// every token above a cut in (weight desc, index asc) order. A histogram over
// the weights' top 16 bits (exponent and 7 mantissa bits) finds the bucket
// the cut falls in; only that bucket is sorted. Then one pass sums the
// nucleus and one draws from it in index order. Same nucleus as sorting
// everything (up to summation rounding at the cut); 0.6 vs 3.0 ms a token at
// top_p 0.9 over 201k logits (sy_bench_sampler).
int32_t Sampler::sample_top_p(double total) {
  constexpr size_t kBuckets = (0x3F800000u >> 16) + 1;  // weights are in [0, 1]
  auto bucket = [](float w) { return std::min<size_t>(kernels::f32_bits(w) >> 16, kBuckets - 1); };
  mass_.assign(kBuckets, 0.0);
  for (float w : weights_) mass_[bucket(w)] += w;
  const double target = static_cast<double>(top_p_) * total;
  double above = 0.0;  // mass of the buckets above the cut's
  size_t cut_bucket = kBuckets;
  while (cut_bucket > 0 && above + mass_[cut_bucket - 1] < target) above += mass_[--cut_bucket];
  if (cut_bucket == 0) cut_bucket = 1;  // rounding: keep everything down to the lowest bucket
  --cut_bucket;
  cand_.clear();
  for (size_t i = 0; i < weights_.size(); ++i)
    if (weights_[i] > 0.0f && bucket(weights_[i]) == cut_bucket) cand_.emplace_back(weights_[i], static_cast<int32_t>(i));
  std::sort(cand_.begin(), cand_.end(),
            [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  size_t keep = 0;
  for (double acc = above; keep < cand_.size();) {
    acc += cand_[keep++].first;
    if (acc >= target) break;
  }
  // The nucleus: (w, -i) at or above the last kept boundary token's (every
  // positive weight if rounding left the boundary bucket empty).
  const bool all = keep == 0;
  const float w_cut = all ? 0.0f : cand_[keep - 1].first;
  const size_t i_cut = all ? 0 : static_cast<size_t>(cand_[keep - 1].second);
  auto kept = [&](size_t i) {
    return weights_[i] > w_cut || (!all && weights_[i] == w_cut && i <= i_cut);
  };
  double nucleus = 0.0;
  for (size_t i = 0; i < weights_.size(); ++i)
    if (kept(i)) nucleus += weights_[i];
  const double r = std::uniform_real_distribution<double>(0.0, nucleus)(rng_);
  double acc = 0.0;
  size_t pick = 0;
  for (size_t i = 0; i < weights_.size(); ++i) {
    if (!kept(i)) continue;
    pick = i;  // the last nucleus token, should rounding leave r >= acc
    acc += weights_[i];
    if (r < acc) break;
  }
  last_logprob_ = static_cast<float>(std::log(weights_[pick] / total));
  return static_cast<int32_t>(pick);
}

StopSequenceFilter::StopSequenceFilter(std::vector<std::string> stops) : stops_(std::move(stops)) {
  std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
}

std::string StopSequenceFilter::push(std::string_view text) {
  if (stopped_) return {};
  held_ += text;
  if (stops_.empty()) return std::exchange(held_, {});
  size_t first = std::string::npos;
  for (const auto& s : stops_) first = std::min(first, held_.find(s));
  if (first != std::string::npos) {
    stopped_ = true;
    std::string out = held_.substr(0, first);
    held_.clear();
    return out;
  }
  // Keep the longest suffix that is a proper prefix of some stop sequence.
  size_t hold = 0;
  for (const auto& s : stops_)
    for (size_t len = std::min(s.size() - 1, held_.size()); len > hold; --len)
      if (held_.compare(held_.size() - len, len, s, 0, len) == 0) {
        hold = len;
        break;
      }
  std::string out = held_.substr(0, held_.size() - hold);
  held_.erase(0, held_.size() - hold);
  return out;
}

std::string StopSequenceFilter::flush() { return stopped_ ? std::string() : std::exchange(held_, {}); }

}  // namespace sy::local_engine::runtime
