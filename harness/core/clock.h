// Clock: the one source of time for timers, deadlines and capture timestamps.
//
// Time is read in *scenario time*: a monotonic duration since the clock was made. A real clock
// runs scenario time at a scale (real seconds per scenario second), so a whole-second cancel
// timeout can run at 1/20 speed in CI with unchanged assertions. A fake clock moves only when told
// and serves pure state-machine tests; it is not for code that waits on sockets.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>

#include "harness/core/endpoint.h"

namespace rpcfit {

// Scenario-time duration since a clock's origin.
using Duration = std::chrono::nanoseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// A point to wait until, in scenario time; nullopt waits forever.
using Deadline = std::optional<Duration>;

// Converts whole seconds (as in cancel timeouts) to a Duration.
inline Duration seconds(long s) {
  return std::chrono::seconds(s);
}

class Clock {
 public:
  virtual ~Clock() = default;
  // Scenario time now. Monotonic.
  virtual Duration now() const = 0;
  // Wall-clock stamp for a scenario instant: the origin's wall time plus the scenario duration,
  // so captures of scaled runs show scenario timing.
  virtual Timestamp wall(Duration at) const = 0;
  // The steady_clock instant at which scenario instant `at` falls; for waits.
  virtual SteadyTime to_steady(Duration at) const = 0;
  // Real seconds per scenario second.
  virtual double scale() const = 0;

  Timestamp wall_now() const { return wall(now()); }
  // Real time left until `deadline` (zero when it has passed); nullopt when there is none.
  std::optional<std::chrono::nanoseconds> real_remaining(const Deadline& deadline) const;
};

class RealClock final : public Clock {
 public:
  // scale: real seconds per scenario second (1.0 = real time, 0.05 = twenty times faster).
  explicit RealClock(double scale = 1.0);
  Duration now() const override;
  Timestamp wall(Duration at) const override;
  SteadyTime to_steady(Duration at) const override;
  double scale() const override { return scale_; }

 private:
  double scale_;
  SteadyTime origin_;
  Timestamp wall_origin_;
};

// Moves only by advance(); to_steady maps scenario time 1:1 onto a fixed steady origin.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp wall_origin = Timestamp{1'700'000'000'000'000'000});
  Duration now() const override;
  Timestamp wall(Duration at) const override { return wall_origin_ + at; }
  SteadyTime to_steady(Duration at) const override;
  double scale() const override { return 1.0; }
  void advance(Duration d);
  void set(Duration t);

 private:
  mutable std::mutex mu_;
  Duration now_{0};
  SteadyTime origin_;
  Timestamp wall_origin_;
};

// The process-wide real clock at scale 1, for code given no clock.
Clock& default_clock();

}  // namespace rpcfit
