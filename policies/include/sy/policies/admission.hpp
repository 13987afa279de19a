#pragma once
// Local engine admission: at most `concurrency` requests run, at most
// `max_queue` wait (FIFO). When the queue is full a request is refused at
// once: non-sensitive requests may then spill to the cloud (the caller checks
// AdmissionOptions::spill_to_cloud and the egress set), sensitive ones get
// 429/503 with Retry-After.
//
// Waiting blocks the calling thread on real steady time (a condition
// variable), not on the injected Clock: deadlines are steady_clock time points.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "sy/policies/options.hpp"

namespace sy::policies {

enum class AdmissionError { kQueueFull, kTimeout };
std::string_view to_string(AdmissionError e);

class AdmissionQueue;

// A running slot; move-only, frees the slot when destroyed. The queue must
// outlive its tickets.
class AdmissionTicket {
 public:
  AdmissionTicket(AdmissionTicket&& o) noexcept : queue_(std::exchange(o.queue_, nullptr)) {}
  AdmissionTicket& operator=(AdmissionTicket&& o) noexcept;
  AdmissionTicket(const AdmissionTicket&) = delete;
  AdmissionTicket& operator=(const AdmissionTicket&) = delete;
  ~AdmissionTicket() { release(); }
  void release();

 private:
  friend class AdmissionQueue;
  explicit AdmissionTicket(AdmissionQueue* q) : queue_(q) {}
  AdmissionQueue* queue_ = nullptr;
};

struct AdmissionSnapshot {
  std::size_t in_flight = 0;
  std::size_t queue_depth = 0;
  std::size_t concurrency = 0;
  std::size_t max_queue = 0;
  uint64_t admitted = 0;
  uint64_t rejected_full = 0;
  uint64_t timed_out = 0;
};

class AdmissionQueue {
 public:
  AdmissionQueue(std::size_t concurrency, const AdmissionOptions& options);
  AdmissionQueue(const AdmissionQueue&) = delete;
  AdmissionQueue& operator=(const AdmissionQueue&) = delete;

  // A slot now, without waiting (and without overtaking queued requests).
  std::optional<AdmissionTicket> try_enter();
  // Waits in FIFO order until a slot frees, `deadline`, or the queue timeout,
  // whichever comes first. kQueueFull at once when max_queue are waiting.
  std::expected<AdmissionTicket, AdmissionError> wait_enter(std::chrono::steady_clock::time_point deadline);

  // wait_enter would refuse at once (all slots busy and max_queue waiting):
  // the moment a non-sensitive request may spill to the cloud.
  bool full() const;
  std::size_t queue_depth() const;
  std::size_t in_flight() const;
  AdmissionSnapshot snapshot() const;
  const AdmissionOptions& options() const { return options_; }

 private:
  friend class AdmissionTicket;
  void release_slot();

  const std::size_t concurrency_;
  const AdmissionOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::size_t in_flight_ = 0;
  std::deque<uint64_t> waiters_;  // FIFO of waiter sequence numbers
  uint64_t next_seq_ = 0;
  uint64_t admitted_ = 0, rejected_full_ = 0, timed_out_ = 0;
};

}  // namespace sy::policies
