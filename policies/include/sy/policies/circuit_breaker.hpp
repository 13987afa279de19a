#pragma once
// Circuit breaker per target (cloud endpoint, local engine).
//
// Closed: every counted outcome (success or failure, see outcome.hpp) enters a
// count-based sliding window of `window_calls`; once it holds `min_calls`, a
// failure rate >= `failure_rate` or a slow-call rate >= `slow_call_rate` opens
// the breaker. `consecutive_connect_failures_to_open` connect/TLS failures in a
// row open it at once, whatever the window says (offline fast path).
// Open: rejects for the open period, which doubles on each consecutive opening
// up to `max_open`; afterwards the breaker is half-open.
// Half-open: hands out `half_open_probes` probe permits; a failed or slow probe
// reopens at once, that many successful probes close it (window cleared, open
// period reset). Neutral probe outcomes free the probe slot.
// 429 never trips the breaker; its Retry-After pauses the target ("not before").
// Thread-safe; the transition listener runs outside the lock, on the thread
// that caused the transition.
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sy/policies/clock.hpp"
#include "sy/policies/options.hpp"
#include "sy/policies/outcome.hpp"

namespace sy::policies {

enum class BreakerState { kClosed, kOpen, kHalfOpen };
std::string_view to_string(BreakerState s);

struct BreakerTransition {
  std::string target;
  BreakerState from = BreakerState::kClosed;
  BreakerState to = BreakerState::kClosed;
  std::string reason;  // e.g. "failure rate 0.60 >= 0.50 over 10 calls"
  std::chrono::steady_clock::time_point at;
  std::chrono::system_clock::time_point wall_at;
  std::chrono::milliseconds open_for{0};  // when `to` is kOpen
};

enum class Rejection { kOpen, kHalfOpenBusy, kRateLimited };
std::string_view to_string(Rejection r);

struct BreakerRejected {
  Rejection reason = Rejection::kOpen;
  std::chrono::milliseconds retry_after{0};  // until the next chance (rounded up; 0 if unknown)
};

struct BreakerSnapshot {
  std::string target;
  BreakerState state = BreakerState::kClosed;
  int window_calls = 0;  // counted outcomes in the window
  int window_failures = 0;
  int window_slow = 0;
  int consecutive_connect_failures = 0;
  int consecutive_openings = 0;
  std::chrono::milliseconds open_remaining{0};
  int probes_in_flight = 0;
  int probes_succeeded = 0;
  std::chrono::milliseconds rate_limited_remaining{0};
  uint64_t transitions = 0;
  uint64_t permits_granted = 0;
  uint64_t permits_rejected = 0;
};

class CircuitBreaker;

// One admitted attempt. Record exactly one outcome; a permit dropped without
// a record counts as a client abort (neutral) so probe slots never leak.
// The breaker must outlive its permits.
class BreakerPermit {
 public:
  BreakerPermit(BreakerPermit&& o) noexcept;
  BreakerPermit& operator=(BreakerPermit&& o) noexcept;
  BreakerPermit(const BreakerPermit&) = delete;
  BreakerPermit& operator=(const BreakerPermit&) = delete;
  ~BreakerPermit();

  // `latency`: what the user waited for: time to first byte for streams,
  // the whole call otherwise. `retry_after`: the upstream's Retry-After (429/503).
  void record(Outcome outcome, std::chrono::nanoseconds latency,
              std::optional<std::chrono::milliseconds> retry_after = std::nullopt);
  bool probe() const { return probe_; }

 private:
  friend class CircuitBreaker;
  BreakerPermit(CircuitBreaker* b, uint64_t generation, bool probe) : breaker_(b), generation_(generation), probe_(probe) {}
  CircuitBreaker* breaker_ = nullptr;
  uint64_t generation_ = 0;
  bool probe_ = false;
};

class CircuitBreaker {
 public:
  using Listener = std::function<void(const BreakerTransition&)>;

  CircuitBreaker(std::string target, BreakerOptions options, const Clock& clock, Listener listener = {});
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  std::expected<BreakerPermit, BreakerRejected> try_acquire();
  // Whether try_acquire would succeed now (for planning; racy by nature).
  bool available() const;
  BreakerState state() const;
  BreakerSnapshot snapshot() const;
  const std::string& target() const { return target_; }
  const BreakerOptions& options() const { return options_; }

 private:
  friend class BreakerPermit;
  using Pending = std::vector<BreakerTransition>;

  void on_record(uint64_t generation, bool probe, Outcome outcome, std::chrono::nanoseconds latency,
                 std::optional<std::chrono::milliseconds> retry_after);
  // Lazily moves open -> half-open once the cool-down elapsed.
  void refresh_locked(std::chrono::steady_clock::time_point now, Pending& out) const;
  void transition_locked(BreakerState to, std::string reason, std::chrono::steady_clock::time_point now,
                         Pending& out) const;
  void record_closed_locked(Outcome outcome, bool slow, std::chrono::steady_clock::time_point now, Pending& out);
  void clear_window_locked() const;
  std::chrono::milliseconds open_period_locked() const;
  void notify(const Pending& pending) const;

  const std::string target_;
  const BreakerOptions options_;
  const Clock& clock_;
  const Listener listener_;

  mutable std::mutex mu_;
  // Everything below is guarded by mu_ (mutable: state() applies the lazy
  // open -> half-open transition).
  mutable BreakerState state_ = BreakerState::kClosed;
  mutable uint64_t generation_ = 1;  // bumps on every transition; stale permits are ignored
  mutable std::vector<uint8_t> window_;  // ring of kFailureBit | kSlowBit
  mutable std::size_t window_head_ = 0;
  mutable int window_count_ = 0;
  mutable int window_failures_ = 0;
  mutable int window_slow_ = 0;
  mutable int consecutive_connect_failures_ = 0;
  mutable int consecutive_openings_ = 0;
  mutable std::chrono::steady_clock::time_point open_until_{};
  mutable int probes_in_flight_ = 0;
  mutable int probes_succeeded_ = 0;
  mutable std::chrono::steady_clock::time_point not_before_{};
  mutable uint64_t transitions_ = 0;
  mutable uint64_t permits_granted_ = 0;
  mutable uint64_t permits_rejected_ = 0;
};

// The breakers of all targets; created on first use with the target's options.
class BreakerRegistry {
 public:
  BreakerRegistry(std::map<std::string, BreakerOptions> per_target, const Clock& clock,
                  CircuitBreaker::Listener listener = {});
  CircuitBreaker& at(const std::string& target);
  std::vector<BreakerSnapshot> snapshot() const;

 private:
  std::map<std::string, BreakerOptions> per_target_;
  const Clock& clock_;
  CircuitBreaker::Listener listener_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<CircuitBreaker>, std::less<>> breakers_;
};

}  // namespace sy::policies
