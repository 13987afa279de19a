#pragma once
// Time is injected so that every policy is testable with a fake clock.
// `now()` (monotonic) drives windows, cool-downs and buckets; `wall_now()`
// (UTC) only drives calendar rollover of budgets.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace sy::policies {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point now() const = 0;
  virtual std::chrono::system_clock::time_point wall_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall_now() const override { return std::chrono::system_clock::now(); }
  static const SystemClock& instance();
};

// Manual clock for tests; thread-safe. Steady and wall time advance together.
class FakeClock final : public Clock {
 public:
  // Default wall start: 2026-01-15 12:00:00 UTC (mid-day, mid-month).
  FakeClock();
  explicit FakeClock(std::chrono::system_clock::time_point wall_start);

  std::chrono::steady_clock::time_point now() const override;
  std::chrono::system_clock::time_point wall_now() const override;

  void advance(std::chrono::nanoseconds d) { offset_ns_.fetch_add(d.count()); }
  // Moves the wall clock only (steady time is monotonic and unaffected).
  void set_wall(std::chrono::system_clock::time_point t);

 private:
  std::atomic<int64_t> offset_ns_{0};
  std::atomic<int64_t> wall_base_ns_{0};  // wall time at offset 0
};

}  // namespace sy::policies
