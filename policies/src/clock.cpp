#include "sy/policies/clock.hpp"

namespace sy::policies {

namespace {
using namespace std::chrono;
// An arbitrary non-zero steady origin so that a default time_point{} never
// looks like "now" in tests.
constexpr steady_clock::time_point kFakeSteadyOrigin{hours(1000)};

system_clock::time_point default_wall_start() {
  return sys_days{year{2026} / January / 15} + hours(12);
}
}  // namespace

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

FakeClock::FakeClock() : FakeClock(default_wall_start()) {}

FakeClock::FakeClock(system_clock::time_point wall_start) {
  wall_base_ns_.store(duration_cast<nanoseconds>(wall_start.time_since_epoch()).count());
}

steady_clock::time_point FakeClock::now() const {
  return kFakeSteadyOrigin + duration_cast<steady_clock::duration>(nanoseconds(offset_ns_.load()));
}

system_clock::time_point FakeClock::wall_now() const {
  return system_clock::time_point(
      duration_cast<system_clock::duration>(nanoseconds(wall_base_ns_.load() + offset_ns_.load())));
}

void FakeClock::set_wall(system_clock::time_point t) {
  wall_base_ns_.store(duration_cast<nanoseconds>(t.time_since_epoch()).count() - offset_ns_.load());
}

}  // namespace sy::policies
