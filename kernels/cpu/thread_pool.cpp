#include "sy/kernels/cpu/thread_pool.hpp"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sy::kernels::cpu {

namespace {

// Kernels run with denormals flushed to zero (FTZ/DAZ): a denormal in a
// scale or product costs a microcode assist (measured: MXFP4 GEMM 13.7 ->
// 17.6 GB/s on data with tiny scales), and values below 1e-38 carry no
// information for inference. Set on every thread that runs pool work, so a
// result does not depend on which thread computed it.
class FlushDenormals {
 public:
  FlushDenormals() {
#if defined(__x86_64__)
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | 0x8040);
#endif
  }
  ~FlushDenormals() {
#if defined(__x86_64__)
    _mm_setcsr(saved_);
#endif
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_ = 0;
};

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(2);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_chunks() {
  for (;;) {
    const int64_t begin = next_.fetch_add(grain_, std::memory_order_relaxed);
    if (begin >= n_) return;
    (*fn_)(begin, std::min(n_, begin + grain_));
  }
}

namespace {

// Spin, then yield: the thread we wait for may need this core.
template <class Done>
void wait_until(Done done) {
  for (int i = 0; !done(); ++i) {
    if (i < 4096) {
      cpu_relax();
    } else {
      std::this_thread::yield();
    }
  }
}

}  // namespace

void ThreadPool::worker_loop() {
  const FlushDenormals ftz;
  uint64_t seen = 0;
  for (;;) {
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    uint64_t g = generation_.load();
    for (int i = 0; g == seen || (g & 1) != 0; ++i) {
      cpu_relax();
      if ((i & 63) == 63 && std::chrono::steady_clock::now() > spin_until) {
        // Announce the sleep before the final check: parallel_for bumps the
        // generation before it reads sleepers_, so one of the two sees the other.
        sleepers_.fetch_add(1);
        generation_.wait(g);
        sleepers_.fetch_sub(1);
      }
      g = generation_.load();
    }
    if (stop_.load()) return;
    inside_.fetch_add(1);
    if (generation_.load() == g) {  // still open: the fields below belong to g
      run_chunks();
      seen = g;
    }
    inside_.fetch_sub(1);
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const FlushDenormals ftz;
  if (workers_.empty() || n <= grain) {
    for (int64_t b = 0; b < n; b += grain) fn(b, std::min(n, b + grain));
    return;
  }
  std::lock_guard call(call_mutex_);
  generation_.fetch_add(1);  // odd: closed; a straggler that joins now backs out
  wait_until([&] { return inside_.load() == 0; });
  fn_ = &fn;
  n_ = n;
  grain_ = grain;
  next_.store(0, std::memory_order_relaxed);
  generation_.fetch_add(1);  // even: open (seq_cst publishes the fields)
  if (sleepers_.load() > 0) generation_.notify_all();
  run_chunks();
  wait_until([&] { return inside_.load() == 0; });
}

void parallel_for(ThreadPool* pool, int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (pool) {
    pool->parallel_for(n, grain, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

}  // namespace sy::kernels::cpu
