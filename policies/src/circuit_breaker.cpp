#include "sy/policies/circuit_breaker.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace sy::policies {

namespace {
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using TimePoint = std::chrono::steady_clock::time_point;

constexpr uint8_t kFailureBit = 1;
constexpr uint8_t kSlowBit = 2;

// Rounded up so that "retry after N ms" never lands before the real time.
milliseconds ceil_ms(std::chrono::steady_clock::duration d) {
  if (d <= d.zero()) return milliseconds(0);
  return std::chrono::ceil<milliseconds>(d);
}

std::string rate_text(const char* what, int hits, int calls, double threshold) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%s rate %.2f >= %.2f over %d calls", what,
                static_cast<double>(hits) / calls, threshold, calls);
  return buf;
}
}  // namespace

std::string_view to_string(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half_open";
  }
  return "unknown";
}

std::string_view to_string(Rejection r) {
  switch (r) {
    case Rejection::kOpen: return "circuit open";
    case Rejection::kHalfOpenBusy: return "circuit half-open, probes in flight";
    case Rejection::kRateLimited: return "rate limited upstream (Retry-After)";
  }
  return "unknown";
}

// ---- BreakerPermit ---------------------------------------------------------

BreakerPermit::BreakerPermit(BreakerPermit&& o) noexcept
    : breaker_(std::exchange(o.breaker_, nullptr)), generation_(o.generation_), probe_(o.probe_) {}

BreakerPermit& BreakerPermit::operator=(BreakerPermit&& o) noexcept {
  if (this != &o) {
    if (breaker_) breaker_->on_record(generation_, probe_, Outcome::kClientAbort, nanoseconds(0), std::nullopt);
    breaker_ = std::exchange(o.breaker_, nullptr);
    generation_ = o.generation_;
    probe_ = o.probe_;
  }
  return *this;
}

BreakerPermit::~BreakerPermit() {
  if (breaker_) breaker_->on_record(generation_, probe_, Outcome::kClientAbort, nanoseconds(0), std::nullopt);
}

void BreakerPermit::record(Outcome outcome, nanoseconds latency, std::optional<milliseconds> retry_after) {
  if (!breaker_) return;  // already recorded: the first outcome wins
  CircuitBreaker* b = std::exchange(breaker_, nullptr);
  b->on_record(generation_, probe_, outcome, latency, retry_after);
}

// ---- CircuitBreaker --------------------------------------------------------

CircuitBreaker::CircuitBreaker(std::string target, BreakerOptions options, const Clock& clock, Listener listener)
    : target_(std::move(target)), options_(options), clock_(clock), listener_(std::move(listener)) {
  window_.assign(static_cast<std::size_t>(std::max(1, options_.window_calls)), 0);
}

void CircuitBreaker::notify(const Pending& pending) const {
  if (!listener_) return;
  for (const auto& t : pending) listener_(t);
}

milliseconds CircuitBreaker::open_period_locked() const {
  // consecutive_openings_ already counts the opening being entered.
  milliseconds period = std::max(options_.open, milliseconds(0));
  const milliseconds cap = std::max(options_.max_open, period);
  for (int i = 1; i < consecutive_openings_ && period < cap; ++i) period *= 2;
  return std::min(period, cap);
}

void CircuitBreaker::clear_window_locked() const {
  std::fill(window_.begin(), window_.end(), 0);
  window_head_ = 0;
  window_count_ = window_failures_ = window_slow_ = 0;
}

void CircuitBreaker::transition_locked(BreakerState to, std::string reason, TimePoint now, Pending& out) const {
  BreakerTransition t;
  t.target = target_;
  t.from = state_;
  t.to = to;
  t.reason = std::move(reason);
  t.at = now;
  t.wall_at = clock_.wall_now();
  state_ = to;
  ++generation_;
  ++transitions_;
  probes_in_flight_ = probes_succeeded_ = 0;
  switch (to) {
    case BreakerState::kOpen:
      ++consecutive_openings_;
      t.open_for = open_period_locked();
      open_until_ = now + t.open_for;
      clear_window_locked();
      consecutive_connect_failures_ = 0;
      break;
    case BreakerState::kClosed:
      consecutive_openings_ = 0;
      clear_window_locked();
      consecutive_connect_failures_ = 0;
      break;
    case BreakerState::kHalfOpen:
      break;
  }
  out.push_back(std::move(t));
}

void CircuitBreaker::refresh_locked(TimePoint now, Pending& out) const {
  if (state_ == BreakerState::kOpen && now >= open_until_) {
    transition_locked(BreakerState::kHalfOpen, "open period elapsed", now, out);
  }
}

std::expected<BreakerPermit, BreakerRejected> CircuitBreaker::try_acquire() {
  Pending pending;
  std::expected<BreakerPermit, BreakerRejected> result = std::unexpected(BreakerRejected{});
  {
    std::lock_guard lock(mu_);
    const TimePoint now = clock_.now();
    refresh_locked(now, pending);
    if (now < not_before_) {
      result = std::unexpected(BreakerRejected{Rejection::kRateLimited, ceil_ms(not_before_ - now)});
    } else if (state_ == BreakerState::kOpen) {
      result = std::unexpected(BreakerRejected{Rejection::kOpen, ceil_ms(open_until_ - now)});
    } else if (state_ == BreakerState::kHalfOpen) {
      if (probes_in_flight_ + probes_succeeded_ < options_.half_open_probes) {
        ++probes_in_flight_;
        result = BreakerPermit(this, generation_, true);
      } else {
        result = std::unexpected(BreakerRejected{Rejection::kHalfOpenBusy, milliseconds(0)});
      }
    } else {
      result = BreakerPermit(this, generation_, false);
    }
    if (result) ++permits_granted_; else ++permits_rejected_;
  }
  notify(pending);
  return result;
}

bool CircuitBreaker::available() const {
  Pending pending;
  bool ok;
  {
    std::lock_guard lock(mu_);
    const TimePoint now = clock_.now();
    refresh_locked(now, pending);
    ok = now >= not_before_ &&
         (state_ == BreakerState::kClosed ||
          (state_ == BreakerState::kHalfOpen && probes_in_flight_ + probes_succeeded_ < options_.half_open_probes));
  }
  notify(pending);
  return ok;
}

BreakerState CircuitBreaker::state() const {
  Pending pending;
  BreakerState s;
  {
    std::lock_guard lock(mu_);
    refresh_locked(clock_.now(), pending);
    s = state_;
  }
  notify(pending);
  return s;
}

BreakerSnapshot CircuitBreaker::snapshot() const {
  Pending pending;
  BreakerSnapshot s;
  {
    std::lock_guard lock(mu_);
    const TimePoint now = clock_.now();
    refresh_locked(now, pending);
    s.target = target_;
    s.state = state_;
    s.window_calls = window_count_;
    s.window_failures = window_failures_;
    s.window_slow = window_slow_;
    s.consecutive_connect_failures = consecutive_connect_failures_;
    s.consecutive_openings = consecutive_openings_;
    s.open_remaining = state_ == BreakerState::kOpen ? ceil_ms(open_until_ - now) : milliseconds(0);
    s.probes_in_flight = probes_in_flight_;
    s.probes_succeeded = probes_succeeded_;
    s.rate_limited_remaining = ceil_ms(not_before_ - now);
    s.transitions = transitions_;
    s.permits_granted = permits_granted_;
    s.permits_rejected = permits_rejected_;
  }
  notify(pending);
  return s;
}

void CircuitBreaker::record_closed_locked(Outcome outcome, bool slow, TimePoint now, Pending& out) {
  const bool failure = is_failure(outcome);
  if (is_connect_failure(outcome)) {
    ++consecutive_connect_failures_;
  } else if (is_counted(outcome)) {
    consecutive_connect_failures_ = 0;  // the upstream answered (or at least accepted us)
  }
  if (is_counted(outcome)) {
    uint8_t& slot = window_[window_head_];
    if (window_count_ == static_cast<int>(window_.size())) {  // evict the oldest
      window_failures_ -= (slot & kFailureBit) ? 1 : 0;
      window_slow_ -= (slot & kSlowBit) ? 1 : 0;
    } else {
      ++window_count_;
    }
    slot = static_cast<uint8_t>((failure ? kFailureBit : 0) | (slow ? kSlowBit : 0));
    window_failures_ += failure ? 1 : 0;
    window_slow_ += slow ? 1 : 0;
    window_head_ = (window_head_ + 1) % window_.size();
  }

  const int fast = options_.consecutive_connect_failures_to_open;
  if (fast > 0 && consecutive_connect_failures_ >= fast) {
    transition_locked(BreakerState::kOpen, std::to_string(consecutive_connect_failures_) +
                                               " consecutive connect failures (" + std::string(to_string(outcome)) + ")",
                      now, out);
    return;
  }
  if (!is_counted(outcome) || window_count_ < std::max(1, options_.min_calls)) return;
  const double n = window_count_;
  if (window_failures_ / n >= options_.failure_rate) {
    transition_locked(BreakerState::kOpen, rate_text("failure", window_failures_, window_count_, options_.failure_rate),
                      now, out);
  } else if (window_slow_ / n >= options_.slow_call_rate) {
    transition_locked(BreakerState::kOpen, rate_text("slow-call", window_slow_, window_count_, options_.slow_call_rate),
                      now, out);
  }
}

void CircuitBreaker::on_record(uint64_t generation, bool probe, Outcome outcome, nanoseconds latency,
                               std::optional<milliseconds> retry_after) {
  Pending pending;
  {
    std::lock_guard lock(mu_);
    const TimePoint now = clock_.now();
    // Retry-After is the upstream's word about now, whatever state we think we are in.
    if (outcome == Outcome::kRateLimited && retry_after && *retry_after > milliseconds(0)) {
      const milliseconds pause = std::min(*retry_after, std::max(options_.max_open, options_.open));
      not_before_ = std::max(not_before_, now + pause);
    }
    refresh_locked(now, pending);
    if (generation == generation_) {  // a stale permit says nothing about the current state
      const bool slow = latency >= options_.slow_call;
      if (probe && state_ == BreakerState::kHalfOpen) {
        --probes_in_flight_;
        if (is_failure(outcome)) {
          transition_locked(BreakerState::kOpen, "probe failed: " + std::string(to_string(outcome)), now, pending);
        } else if (outcome == Outcome::kSuccess && slow) {
          transition_locked(BreakerState::kOpen, "probe was a slow call", now, pending);
        } else if (outcome == Outcome::kSuccess && ++probes_succeeded_ >= options_.half_open_probes) {
          transition_locked(BreakerState::kClosed,
                            std::to_string(probes_succeeded_) + " probes succeeded", now, pending);
        }
      } else if (!probe && state_ == BreakerState::kClosed) {
        record_closed_locked(outcome, slow, now, pending);
      }
    }
  }
  notify(pending);
}

// ---- BreakerRegistry -------------------------------------------------------

BreakerRegistry::BreakerRegistry(std::map<std::string, BreakerOptions> per_target, const Clock& clock,
                                 CircuitBreaker::Listener listener)
    : per_target_(std::move(per_target)), clock_(clock), listener_(std::move(listener)) {
  for (const auto& [name, opts] : per_target_) {
    breakers_.emplace(name, std::make_unique<CircuitBreaker>(name, opts, clock_, listener_));
  }
}

CircuitBreaker& BreakerRegistry::at(const std::string& target) {
  std::lock_guard lock(mu_);
  auto it = breakers_.find(target);
  if (it == breakers_.end()) {
    auto opts = per_target_.find(target);
    it = breakers_
             .emplace(target, std::make_unique<CircuitBreaker>(
                                  target, opts == per_target_.end() ? BreakerOptions{} : opts->second, clock_,
                                  listener_))
             .first;
  }
  return *it->second;
}

std::vector<BreakerSnapshot> BreakerRegistry::snapshot() const {
  std::vector<const CircuitBreaker*> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, b] : breakers_) all.push_back(b.get());
  }
  std::vector<BreakerSnapshot> out;
  for (const auto* b : all) out.push_back(b->snapshot());
  return out;
}

}  // namespace sy::policies
