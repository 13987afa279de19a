#include "sy/policies/clock.hpp"

#include <gtest/gtest.h>

namespace sy::policies {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

TEST(FakeClock, AdvancesSteadyAndWallTogether) {
  const auto start = sys_days{2026y / March / 1};
  FakeClock clock(start);
  const auto t0 = clock.now();
  EXPECT_EQ(clock.wall_now(), start);
  clock.advance(1500ms);
  EXPECT_EQ(clock.now() - t0, 1500ms);
  EXPECT_EQ(clock.wall_now(), start + 1500ms);
}

TEST(FakeClock, SetWallLeavesSteadyAlone) {
  FakeClock clock;
  const auto t0 = clock.now();
  const auto target = sys_days{2027y / January / 1};
  clock.set_wall(target);
  EXPECT_EQ(clock.now(), t0);
  EXPECT_EQ(clock.wall_now(), target);
  clock.advance(1s);
  EXPECT_EQ(clock.wall_now(), target + 1s);
}

TEST(SystemClock, IsMonotonic) {
  const Clock& c = SystemClock::instance();
  const auto a = c.now();
  const auto b = c.now();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace sy::policies
