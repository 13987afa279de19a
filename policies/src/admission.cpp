#include "sy/policies/admission.hpp"

#include <algorithm>

namespace sy::policies {

std::string_view to_string(AdmissionError e) {
  switch (e) {
    case AdmissionError::kQueueFull: return "local queue full";
    case AdmissionError::kTimeout: return "timed out waiting in the local queue";
  }
  return "unknown";
}

AdmissionTicket& AdmissionTicket::operator=(AdmissionTicket&& o) noexcept {
  if (this != &o) {
    release();
    queue_ = std::exchange(o.queue_, nullptr);
  }
  return *this;
}

void AdmissionTicket::release() {
  if (AdmissionQueue* q = std::exchange(queue_, nullptr)) q->release_slot();
}

AdmissionQueue::AdmissionQueue(std::size_t concurrency, const AdmissionOptions& options)
    : concurrency_(std::max<std::size_t>(1, concurrency)), options_(options) {}

void AdmissionQueue::release_slot() {
  {
    std::lock_guard lock(mu_);
    --in_flight_;
  }
  // Every waiter re-checks whether it is at the head; few waiters, rare wakes.
  cv_.notify_all();
}

std::optional<AdmissionTicket> AdmissionQueue::try_enter() {
  std::lock_guard lock(mu_);
  if (in_flight_ < concurrency_ && waiters_.empty()) {
    ++in_flight_;
    ++admitted_;
    return AdmissionTicket(this);
  }
  return std::nullopt;
}

std::expected<AdmissionTicket, AdmissionError> AdmissionQueue::wait_enter(
    std::chrono::steady_clock::time_point deadline) {
  deadline = std::min(deadline, std::chrono::steady_clock::now() + options_.queue_timeout);
  std::unique_lock lock(mu_);
  if (in_flight_ < concurrency_ && waiters_.empty()) {
    ++in_flight_;
    ++admitted_;
    return AdmissionTicket(this);
  }
  if (waiters_.size() >= options_.max_queue) {
    ++rejected_full_;
    return std::unexpected(AdmissionError::kQueueFull);
  }
  const uint64_t me = next_seq_++;
  waiters_.push_back(me);
  auto my_turn = [&] { return waiters_.front() == me && in_flight_ < concurrency_; };
  const bool admitted = cv_.wait_until(lock, deadline, my_turn);
  waiters_.erase(std::find(waiters_.begin(), waiters_.end(), me));
  if (!admitted) {
    ++timed_out_;
    lock.unlock();
    cv_.notify_all();  // the head may have changed
    return std::unexpected(AdmissionError::kTimeout);
  }
  ++in_flight_;
  ++admitted_;
  const bool more = !waiters_.empty() && in_flight_ < concurrency_;
  lock.unlock();
  if (more) cv_.notify_all();  // the next waiter may fit as well
  return AdmissionTicket(this);
}

bool AdmissionQueue::full() const {
  std::lock_guard lock(mu_);
  return in_flight_ >= concurrency_ && waiters_.size() >= options_.max_queue;
}

std::size_t AdmissionQueue::queue_depth() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

std::size_t AdmissionQueue::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

AdmissionSnapshot AdmissionQueue::snapshot() const {
  std::lock_guard lock(mu_);
  return {in_flight_, waiters_.size(), concurrency_, options_.max_queue, admitted_, rejected_full_, timed_out_};
}

}  // namespace sy::policies
