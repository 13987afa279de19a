#pragma once
// Spend budgets per virtual key, per UTC day and per UTC month.
//
// Before dispatch the gateway reserves the estimated MAXIMUM cost; the
// reservation counts against the budget until it is reconciled with the
// actual cost (or released when the attempt failed). Reserve checks and books
// under one lock, so concurrent requests cannot overshoot the budget.
// A zero-cost reservation (the local engine) always succeeds, so "budget
// exhausted -> route local" works. Amounts are kept in integer nano-USD so
// that sums are exact.
#include <chrono>
#include <cstdint>
#include <expected>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "sy/policies/clock.hpp"
#include "sy/policies/virtual_keys.hpp"

namespace sy::policies {

struct BudgetLimits {
  std::optional<double> usd_per_day;    // absent: unlimited
  std::optional<double> usd_per_month;  // absent: unlimited
  static BudgetLimits of(const Tenant& t) { return {t.budget_usd_per_day, t.budget_usd_per_month}; }
};

enum class BudgetErrorCode { kDailyExhausted, kMonthlyExhausted };

struct BudgetError {
  BudgetErrorCode code = BudgetErrorCode::kDailyExhausted;
  double limit_usd = 0;
  double available_usd = 0;           // limit - spent - reserved, >= 0
  std::chrono::seconds retry_after{0};  // until the UTC day / month rolls over
  std::string message() const;        // for the 429 insufficient_quota body
};

class BudgetLedger;

// Move-only. Dropping an unsettled reservation releases it (failure path).
// The ledger must outlive its reservations.
class Reservation {
 public:
  Reservation(Reservation&& o) noexcept;
  Reservation& operator=(Reservation&& o) noexcept;
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  ~Reservation();

  const std::string& key_id() const { return key_id_; }
  double amount_usd() const;
  bool active() const { return ledger_ != nullptr; }

 private:
  friend class BudgetLedger;
  Reservation(BudgetLedger* ledger, std::string key_id, int64_t nano_usd, int64_t day, int64_t month)
      : ledger_(ledger), key_id_(std::move(key_id)), nano_usd_(nano_usd), day_(day), month_(month) {}
  BudgetLedger* ledger_ = nullptr;
  std::string key_id_;
  int64_t nano_usd_ = 0;
  int64_t day_ = 0;    // UTC day the amount was booked in
  int64_t month_ = 0;  // UTC month (year * 12 + month - 1)
};

struct BudgetUsage {
  double day_spent_usd = 0, day_reserved_usd = 0;
  double month_spent_usd = 0, month_reserved_usd = 0;
};

class BudgetLedger {
 public:
  explicit BudgetLedger(const Clock& clock) : clock_(clock) {}
  BudgetLedger(const BudgetLedger&) = delete;
  BudgetLedger& operator=(const BudgetLedger&) = delete;

  std::expected<Reservation, BudgetError> reserve(std::string_view key_id, const BudgetLimits& limits,
                                                  double max_cost_usd);
  std::expected<Reservation, BudgetError> reserve(const Tenant& tenant, double max_cost_usd) {
    return reserve(tenant.id, BudgetLimits::of(tenant), max_cost_usd);
  }
  // Books the actual cost (to the current period) and frees the reservation.
  // Actual above the reservation is booked too: money spent is spent.
  void reconcile(Reservation&& r, double actual_cost_usd);
  void release(Reservation&& r);

  BudgetUsage usage(std::string_view key_id) const;

 private:
  friend class Reservation;
  struct Account {
    int64_t day = 0, month = 0;
    int64_t day_spent = 0, day_reserved = 0;
    int64_t month_spent = 0, month_reserved = 0;
  };
  Account& account_locked(std::string_view key_id, int64_t day, int64_t month);
  void settle(Reservation& r, std::optional<int64_t> actual_nano_usd);

  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Account> accounts_;
};

}  // namespace sy::policies
