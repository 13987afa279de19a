#pragma once
// Per-key request and token rates over a sliding window. Time is injected so
// tests drive it with a fake clock. Thread-safe.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sy::router {

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

struct VolumeSnapshot {
  int64_t requests_in_window = 0;
  int64_t tokens_in_window = 0;
  double requests_per_minute = 0.0;
  double tokens_per_minute = 0.0;
};

class VolumeTracker {
 public:
  explicit VolumeTracker(std::chrono::milliseconds window = std::chrono::minutes(1), SteadyClock clock = {});

  void record(const std::string& key_id, int64_t tokens);
  VolumeSnapshot snapshot(const std::string& key_id) const;
  std::chrono::milliseconds window() const { return window_; }

 private:
  struct Event {
    std::chrono::steady_clock::time_point at;
    int64_t tokens;
  };
  struct KeyState {
    std::deque<Event> events;
    int64_t tokens = 0;
  };
  void prune(KeyState& s, std::chrono::steady_clock::time_point now) const;

  std::chrono::milliseconds window_;
  SteadyClock clock_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, KeyState> keys_;
};

}  // namespace sy::router
