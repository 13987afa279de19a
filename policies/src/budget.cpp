#include "sy/policies/budget.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

namespace sy::policies {

namespace {
using namespace std::chrono;

constexpr double kNanoPerUsd = 1e9;
constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();

// Reservations round up, actual costs to nearest: never under-reserve.
int64_t to_nano_ceil(double usd) {
  if (std::isnan(usd)) return kUnlimited;  // fail closed on garbage estimates
  if (usd <= 0) return 0;
  const double n = std::ceil(usd * kNanoPerUsd);
  return n >= static_cast<double>(kUnlimited) ? kUnlimited : static_cast<int64_t>(n);
}

int64_t to_nano_round(double usd) {
  if (!(usd > 0)) return 0;
  const double n = std::llround(std::min(usd * kNanoPerUsd, 9.0e18));
  return static_cast<int64_t>(n);
}

int64_t limit_nano(const std::optional<double>& usd) {
  if (!usd) return kUnlimited;
  return *usd <= 0 ? 0 : to_nano_round(*usd);
}

double to_usd(int64_t nano) { return static_cast<double>(nano) / kNanoPerUsd; }

struct Period {
  int64_t day;
  int64_t month;
  seconds to_next_day;
  seconds to_next_month;
};

Period period_of(system_clock::time_point wall) {
  const sys_days today = floor<days>(wall);
  const year_month_day ymd{today};
  const sys_days next_day = today + days(1);
  const sys_days next_month = sys_days{(ymd.year() / ymd.month() / 1) + months(1)};
  Period p;
  p.day = today.time_since_epoch().count();
  p.month = static_cast<int>(ymd.year()) * 12 + static_cast<int>(static_cast<unsigned>(ymd.month())) - 1;
  p.to_next_day = ceil<seconds>(next_day - wall);
  p.to_next_month = ceil<seconds>(next_month - wall);
  return p;
}

int64_t sat_add(int64_t a, int64_t b) { return a > kUnlimited - b ? kUnlimited : a + b; }

}  // namespace

std::string BudgetError::message() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "You exceeded your %s budget of $%.2f for this key ($%.4f left); it resets in %llds.",
                code == BudgetErrorCode::kDailyExhausted ? "daily" : "monthly", limit_usd, available_usd,
                static_cast<long long>(retry_after.count()));
  return buf;
}

// ---- Reservation ------------------------------------------------------------

Reservation::Reservation(Reservation&& o) noexcept
    : ledger_(std::exchange(o.ledger_, nullptr)), key_id_(std::move(o.key_id_)), nano_usd_(o.nano_usd_),
      day_(o.day_), month_(o.month_) {}

Reservation& Reservation::operator=(Reservation&& o) noexcept {
  if (this != &o) {
    if (ledger_) ledger_->settle(*this, std::nullopt);
    ledger_ = std::exchange(o.ledger_, nullptr);
    key_id_ = std::move(o.key_id_);
    nano_usd_ = o.nano_usd_;
    day_ = o.day_;
    month_ = o.month_;
  }
  return *this;
}

Reservation::~Reservation() {
  if (ledger_) ledger_->settle(*this, std::nullopt);
}

double Reservation::amount_usd() const { return to_usd(nano_usd_); }

// ---- BudgetLedger -----------------------------------------------------------

BudgetLedger::Account& BudgetLedger::account_locked(std::string_view key_id, int64_t day, int64_t month) {
  auto it = accounts_.find(std::string(key_id));
  if (it == accounts_.end()) {
    it = accounts_.emplace(std::string(key_id), Account{}).first;
    it->second.day = day;
    it->second.month = month;
  }
  Account& a = it->second;
  // Reservations of a past period simply stop counting at the rollover.
  if (a.day != day) a.day = day, a.day_spent = 0, a.day_reserved = 0;
  if (a.month != month) a.month = month, a.month_spent = 0, a.month_reserved = 0;
  return a;
}

std::expected<Reservation, BudgetError> BudgetLedger::reserve(std::string_view key_id, const BudgetLimits& limits,
                                                              double max_cost_usd) {
  const int64_t amount = to_nano_ceil(max_cost_usd);
  const Period p = period_of(clock_.wall_now());
  std::lock_guard lock(mu_);
  Account& a = account_locked(key_id, p.day, p.month);
  if (amount > 0) {
    const int64_t day_limit = limit_nano(limits.usd_per_day);
    const int64_t month_limit = limit_nano(limits.usd_per_month);
    const int64_t day_used = sat_add(a.day_spent, a.day_reserved);
    const int64_t month_used = sat_add(a.month_spent, a.month_reserved);
    auto fail = [&](BudgetErrorCode code, int64_t limit, int64_t used, seconds wait) {
      return std::unexpected(BudgetError{code, to_usd(limit), to_usd(used >= limit ? 0 : limit - used), wait});
    };
    if (day_limit != kUnlimited && sat_add(day_used, amount) > day_limit) {
      return fail(BudgetErrorCode::kDailyExhausted, day_limit, day_used, p.to_next_day);
    }
    if (month_limit != kUnlimited && sat_add(month_used, amount) > month_limit) {
      return fail(BudgetErrorCode::kMonthlyExhausted, month_limit, month_used, p.to_next_month);
    }
    a.day_reserved = sat_add(a.day_reserved, amount);
    a.month_reserved = sat_add(a.month_reserved, amount);
  }
  return Reservation(this, std::string(key_id), amount, p.day, p.month);
}

void BudgetLedger::settle(Reservation& r, std::optional<int64_t> actual) {
  if (r.ledger_ != this) return;  // settled already, or another ledger's
  r.ledger_ = nullptr;
  const Period p = period_of(clock_.wall_now());
  std::lock_guard lock(mu_);
  Account& a = account_locked(r.key_id_, p.day, p.month);
  if (r.day_ == a.day) a.day_reserved -= r.nano_usd_;
  if (r.month_ == a.month) a.month_reserved -= r.nano_usd_;
  if (actual) {
    a.day_spent = sat_add(a.day_spent, *actual);
    a.month_spent = sat_add(a.month_spent, *actual);
  }
}

void BudgetLedger::reconcile(Reservation&& r, double actual_cost_usd) { settle(r, to_nano_round(actual_cost_usd)); }

void BudgetLedger::release(Reservation&& r) { settle(r, std::nullopt); }

BudgetUsage BudgetLedger::usage(std::string_view key_id) const {
  const Period p = period_of(clock_.wall_now());
  std::lock_guard lock(mu_);
  BudgetUsage u;
  auto it = accounts_.find(std::string(key_id));
  if (it == accounts_.end()) return u;
  const Account& a = it->second;
  if (a.day == p.day) u.day_spent_usd = to_usd(a.day_spent), u.day_reserved_usd = to_usd(a.day_reserved);
  if (a.month == p.month) u.month_spent_usd = to_usd(a.month_spent), u.month_reserved_usd = to_usd(a.month_reserved);
  return u;
}

}  // namespace sy::policies
