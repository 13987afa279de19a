#pragma once
// A small persistent thread pool: parallel_for hands out index chunks through
// an atomic counter; the calling thread works too. Calls are serialised.
//
// A forward pass makes a few hundred parallel_for calls per token, so waking
// workers through the kernel each time would cost more than the work: idle
// workers spin for a short while (kSpin) before they sleep on a futex.
//
// The caller never waits for a worker that has not joined the current call
// (a worker the OS has descheduled, e.g. when other processes share the
// cores): it waits only for workers inside the call, which finish their
// chunk and leave. Calls are numbered: an odd generation means "closed",
// while the caller waits out stragglers of the previous call and writes
// the next one; workers join only an open (even) generation.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sy::kernels::cpu {

class ThreadPool {
 public:
  static constexpr std::chrono::microseconds kSpin{1000};

  // n_threads includes the calling thread; <= 0 means hardware concurrency.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // fn(begin, end) over [0, n) in chunks of `grain`; returns when all are done.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop();
  void run_chunks();

  std::vector<std::thread> workers_;
  std::mutex call_mutex_;  // one parallel_for at a time
  std::atomic<uint64_t> generation_{0};  // even: open for workers; odd: being set up
  std::atomic<int> sleepers_{0};
  std::atomic<int> inside_{0};  // workers inside the current call
  std::atomic<bool> stop_{false};
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0;
  int64_t grain_ = 1;
  std::atomic<int64_t> next_{0};
};

// fn over [0, n) on `pool`, or on the calling thread when pool is null.
void parallel_for(ThreadPool* pool, int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace sy::kernels::cpu
