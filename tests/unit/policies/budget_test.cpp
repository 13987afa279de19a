#include "sy/policies/budget.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

namespace sy::policies {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// 2026-01-15 12:00:00 UTC unless said otherwise.
system_clock::time_point utc(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
  return sys_days{year{y} / month{m} / day{d}} + hours(h) + minutes(min);
}

TEST(Budget, ReservesWithinTheDailyBudgetAndRefusesBeyond) {
  FakeClock clock(utc(2026, 1, 15, 12));
  BudgetLedger ledger(clock);
  const BudgetLimits limits{1.0, std::nullopt};
  auto r1 = ledger.reserve("k", limits, 0.6);
  ASSERT_TRUE(r1.has_value());
  auto r2 = ledger.reserve("k", limits, 0.5);  // 0.6 + 0.5 > 1.0
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error().code, BudgetErrorCode::kDailyExhausted);
  EXPECT_DOUBLE_EQ(r2.error().limit_usd, 1.0);
  EXPECT_NEAR(r2.error().available_usd, 0.4, 1e-9);
  EXPECT_EQ(r2.error().retry_after, 12h);  // until UTC midnight
  EXPECT_NE(r2.error().message().find("daily"), std::string::npos);
  EXPECT_TRUE(ledger.reserve("k", limits, 0.4).has_value());  // exactly fits
  EXPECT_TRUE(ledger.reserve("other", limits, 1.0).has_value());  // keys are independent
}

TEST(Budget, ReconcileBooksActualAndFreesTheRest) {
  FakeClock clock;
  BudgetLedger ledger(clock);
  const BudgetLimits limits{1.0, std::nullopt};
  auto r = ledger.reserve("k", limits, 0.8);
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(ledger.usage("k").day_reserved_usd, 0.8, 1e-9);
  ledger.reconcile(std::move(*r), 0.1);
  const BudgetUsage u = ledger.usage("k");
  EXPECT_NEAR(u.day_spent_usd, 0.1, 1e-9);
  EXPECT_NEAR(u.day_reserved_usd, 0.0, 1e-12);
  EXPECT_NEAR(u.month_spent_usd, 0.1, 1e-9);
  auto rest = ledger.reserve("k", limits, 0.9);  // held: a dropped reservation is released
  EXPECT_TRUE(rest.has_value());
  EXPECT_FALSE(ledger.reserve("k", limits, 0.000001).has_value());
}

TEST(Budget, FailedRequestsReleaseTheirReservation) {
  FakeClock clock;
  BudgetLedger ledger(clock);
  const BudgetLimits limits{1.0, std::nullopt};
  {
    auto r = ledger.reserve("k", limits, 1.0);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(ledger.reserve("k", limits, 0.5).has_value());
    ledger.release(std::move(*r));
  }
  EXPECT_EQ(ledger.usage("k").day_reserved_usd, 0.0);
  {
    auto r = ledger.reserve("k", limits, 1.0);
    ASSERT_TRUE(r.has_value());
    // dropped without reconcile: released too
  }
  EXPECT_EQ(ledger.usage("k").day_reserved_usd, 0.0);
  EXPECT_EQ(ledger.usage("k").day_spent_usd, 0.0);
  EXPECT_TRUE(ledger.reserve("k", limits, 1.0).has_value());
}

TEST(Budget, ASettledReservationCannotBeSettledAgain) {
  FakeClock clock;
  BudgetLedger ledger(clock);
  auto r = ledger.reserve("k", {1.0, std::nullopt}, 0.5);
  ASSERT_TRUE(r.has_value());
  Reservation res = std::move(*r);
  ledger.reconcile(std::move(res), 0.5);
  ledger.reconcile(std::move(res), 0.5);  // NOLINT: moved-from on purpose
  EXPECT_NEAR(ledger.usage("k").day_spent_usd, 0.5, 1e-9);
}

TEST(Budget, MonthlyBudgetAndCalendarRollover) {
  FakeClock clock(utc(2026, 1, 31, 23, 0));
  BudgetLedger ledger(clock);
  const BudgetLimits limits{1.0, 1.5};
  auto r = ledger.reserve("k", limits, 1.0);
  ASSERT_TRUE(r.has_value());
  ledger.reconcile(std::move(*r), 1.0);
  EXPECT_EQ(ledger.reserve("k", limits, 0.1).error().code, BudgetErrorCode::kDailyExhausted);
  clock.advance(30min);  // still Jan 31
  EXPECT_EQ(ledger.reserve("k", limits, 0.1).error().retry_after, 30min);
  clock.advance(30min);  // Feb 1 00:00 UTC: new day and new month
  auto again = ledger.reserve("k", limits, 1.0);
  ASSERT_TRUE(again.has_value());
  ledger.reconcile(std::move(*again), 1.0);
  clock.advance(24h);  // Feb 2: new day, same month (1.0 of 1.5 spent)
  auto monthly = ledger.reserve("k", limits, 0.6);
  ASSERT_FALSE(monthly.has_value());
  EXPECT_EQ(monthly.error().code, BudgetErrorCode::kMonthlyExhausted);
  EXPECT_EQ(monthly.error().retry_after, 27 * 24h);  // to Mar 1 00:00
  EXPECT_TRUE(ledger.reserve("k", limits, 0.5).has_value());
}

TEST(Budget, ReservationFromYesterdayDoesNotCorruptToday) {
  FakeClock clock(utc(2026, 3, 10, 23, 59));
  BudgetLedger ledger(clock);
  const BudgetLimits limits{1.0, std::nullopt};
  auto old = ledger.reserve("k", limits, 0.9);
  ASSERT_TRUE(old.has_value());
  clock.advance(2min);  // next UTC day
  auto today = ledger.reserve("k", limits, 0.5);
  ASSERT_TRUE(today.has_value());
  ledger.reconcile(std::move(*old), 0.2);  // charged to today, frees nothing of today's reservations
  const BudgetUsage u = ledger.usage("k");
  EXPECT_NEAR(u.day_reserved_usd, 0.5, 1e-9);
  EXPECT_NEAR(u.day_spent_usd, 0.2, 1e-9);
  auto rest = ledger.reserve("k", limits, 0.3);
  EXPECT_TRUE(rest.has_value());
  EXPECT_FALSE(ledger.reserve("k", limits, 0.01).has_value());
}

TEST(Budget, ZeroCostIsAlwaysAdmittedForLocalRouting) {
  FakeClock clock;
  BudgetLedger ledger(clock);
  const BudgetLimits limits{0.0, 0.0};
  EXPECT_FALSE(ledger.reserve("k", limits, 0.001).has_value());
  EXPECT_TRUE(ledger.reserve("k", limits, 0.0).has_value());
}

TEST(Budget, UnlimitedKeysAreTrackedButNeverRefused) {
  FakeClock clock;
  BudgetLedger ledger(clock);
  auto r = ledger.reserve("k", {}, 1e6);
  ASSERT_TRUE(r.has_value());
  ledger.reconcile(std::move(*r), 123.0);
  EXPECT_NEAR(ledger.usage("k").month_spent_usd, 123.0, 1e-6);
}

TEST(Budget, ConcurrentReservationsNeverOvershoot) {
  FakeClock clock;
  BudgetLedger ledger(clock);
  const BudgetLimits limits{1.0, std::nullopt};  // fits exactly 10 x $0.10
  constexpr int kThreads = 100;
  std::atomic<int> admitted{0};
  std::vector<std::optional<Reservation>> held(kThreads);
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto r = ledger.reserve("k", limits, 0.1);
      if (r) {
        ++admitted;
        held[i].emplace(std::move(*r));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(admitted.load(), 10);
  EXPECT_NEAR(ledger.usage("k").day_reserved_usd, 1.0, 1e-9);
}

TEST(Budget, ConcurrentReserveAndReconcileStayWithinBudget) {
  FakeClock clock;
  BudgetLedger ledger(clock);
  const BudgetLimits limits{1.0, std::nullopt};
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  std::barrier start(16);
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      for (int i = 0; i < 50; ++i) {
        auto r = ledger.reserve("k", limits, 0.1);  // estimated maximum
        if (!r) continue;
        ++admitted;
        ledger.reconcile(std::move(*r), 0.05);  // actual: half the estimate
      }
    });
  }
  for (auto& t : threads) t.join();
  const BudgetUsage u = ledger.usage("k");
  EXPECT_LE(u.day_spent_usd, 1.0 + 1e-9);
  EXPECT_EQ(u.day_reserved_usd, 0.0);
  EXPECT_NEAR(u.day_spent_usd, admitted.load() * 0.05, 1e-9);
  // With actual = half of the estimate, at least 10 and at most 19 fit.
  EXPECT_GE(admitted.load(), 10);
  EXPECT_LE(admitted.load(), 19);
}

}  // namespace
}  // namespace sy::policies
