#include "sy/policies/admission.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace sy::policies {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

AdmissionOptions opts(std::size_t max_queue, std::chrono::milliseconds timeout = 10s) {
  AdmissionOptions o;
  o.max_queue = max_queue;
  o.queue_timeout = timeout;
  return o;
}

// Waits (real time, bounded) until `pred` holds.
template <class F>
bool eventually(F pred) {
  const auto until = steady_clock::now() + 5s;
  while (steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

TEST(Admission, TryEnterUpToConcurrency) {
  AdmissionQueue q(2, opts(4));
  auto a = q.try_enter();
  EXPECT_FALSE(q.full());
  auto b = q.try_enter();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(q.full());  // slots busy, but the queue still has room
  EXPECT_FALSE(q.try_enter().has_value());
  EXPECT_EQ(q.in_flight(), 2u);
  a->release();
  EXPECT_EQ(q.in_flight(), 1u);
  EXPECT_TRUE(q.try_enter().has_value());
}

TEST(Admission, FullQueueRefusesAtOnce) {
  AdmissionQueue q(1, opts(1));
  auto running = q.try_enter();
  ASSERT_TRUE(running);
  std::thread waiter([&] {
    auto t = q.wait_enter(steady_clock::now() + 10s);
    EXPECT_TRUE(t.has_value());
  });
  ASSERT_TRUE(eventually([&] { return q.queue_depth() == 1; }));
  EXPECT_TRUE(q.full());
  const auto before = steady_clock::now();
  auto refused = q.wait_enter(steady_clock::now() + 10s);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), AdmissionError::kQueueFull);
  EXPECT_LT(steady_clock::now() - before, 1s);  // no waiting when full
  EXPECT_FALSE(q.try_enter().has_value());       // nor overtaking the waiter
  running->release();
  waiter.join();
  const AdmissionSnapshot s = q.snapshot();
  EXPECT_EQ(s.rejected_full, 1u);
  EXPECT_EQ(s.admitted, 2u);
  EXPECT_EQ(s.queue_depth, 0u);
}

TEST(Admission, ZeroQueueIsFullOnlyWhenSlotsAreBusy) {
  AdmissionQueue q(1, opts(0));
  EXPECT_FALSE(q.full());
  auto running = q.wait_enter(steady_clock::now() + 1s);
  ASSERT_TRUE(running.has_value());
  EXPECT_TRUE(q.full());
  auto refused = q.wait_enter(steady_clock::now() + 1s);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), AdmissionError::kQueueFull);
}

TEST(Admission, WaitTimesOutAtTheDeadline) {
  AdmissionQueue q(1, opts(4));
  auto running = q.try_enter();
  ASSERT_TRUE(running);
  auto t = q.wait_enter(steady_clock::now() + 20ms);
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error(), AdmissionError::kTimeout);
  EXPECT_EQ(q.queue_depth(), 0u);
  EXPECT_EQ(q.snapshot().timed_out, 1u);
}

TEST(Admission, QueueTimeoutCapsALongDeadline) {
  AdmissionQueue q(1, opts(4, 20ms));
  auto running = q.try_enter();
  ASSERT_TRUE(running);
  const auto before = steady_clock::now();
  auto t = q.wait_enter(steady_clock::now() + 1h);
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error(), AdmissionError::kTimeout);
  EXPECT_LT(steady_clock::now() - before, 5s);
}

TEST(Admission, WaitersAreServedInArrivalOrder) {
  AdmissionQueue q(1, opts(8));
  auto running = q.try_enter();
  ASSERT_TRUE(running);
  std::mutex mu;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto t = q.wait_enter(steady_clock::now() + 10s);
      ASSERT_TRUE(t.has_value());
      std::lock_guard lock(mu);
      order.push_back(i);
      // the ticket is released here, letting the next waiter in
    });
    ASSERT_TRUE(eventually([&] { return q.queue_depth() == static_cast<std::size_t>(i + 1); }));
  }
  running->release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

TEST(Admission, NeverMoreThanConcurrencyInFlight) {
  AdmissionQueue q(3, opts(64));
  std::atomic<int> inside{0}, peak{0}, admitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        auto t = q.wait_enter(steady_clock::now() + 10s);
        if (!t) continue;
        ++admitted;
        const int now = ++inside;
        int p = peak.load();
        while (now > p && !peak.compare_exchange_weak(p, now)) {
        }
        std::this_thread::yield();
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(peak.load(), 3);
  EXPECT_EQ(admitted.load(), 16 * 20);
  EXPECT_EQ(q.in_flight(), 0u);
}

}  // namespace
}  // namespace sy::policies
