#include "sy/router/volume.hpp"

namespace sy::router {

VolumeTracker::VolumeTracker(std::chrono::milliseconds window, SteadyClock clock)
    : window_(window), clock_(clock ? std::move(clock) : SteadyClock([] { return std::chrono::steady_clock::now(); })) {}

void VolumeTracker::prune(KeyState& s, std::chrono::steady_clock::time_point now) const {
  while (!s.events.empty() && now - s.events.front().at >= window_) {
    s.tokens -= s.events.front().tokens;
    s.events.pop_front();
  }
}

void VolumeTracker::record(const std::string& key_id, int64_t tokens) {
  auto now = clock_();
  std::lock_guard lock(mu_);
  KeyState& s = keys_[key_id];
  prune(s, now);
  s.events.push_back({now, tokens});
  s.tokens += tokens;
}

VolumeSnapshot VolumeTracker::snapshot(const std::string& key_id) const {
  auto now = clock_();
  std::lock_guard lock(mu_);
  VolumeSnapshot out;
  auto it = keys_.find(key_id);
  if (it == keys_.end()) return out;
  prune(it->second, now);
  out.requests_in_window = static_cast<int64_t>(it->second.events.size());
  out.tokens_in_window = it->second.tokens;
  const double minutes = std::chrono::duration<double>(window_).count() / 60.0;
  out.requests_per_minute = static_cast<double>(out.requests_in_window) / minutes;
  out.tokens_per_minute = static_cast<double>(out.tokens_in_window) / minutes;
  return out;
}

}  // namespace sy::router
