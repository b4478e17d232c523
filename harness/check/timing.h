// Timing checks the way packetdrill makes them: an expected instant t matches an actual t' when
// |t' - t| <= tolerance, with tolerance = max(absolute, percent/100 x interval, floor) x scale.
//   interval  from the last timeline step at or before t to t (how long the thing took to come)
//   floor     the run's real-time floor expressed in scenario time (real_floor / time_scale): a run
//             at time scale 0.05 cannot tell instants closer than the machine's scheduling jitter
//   scale     the run's --tolerance-scale
// A failure says the expected instant, the actual one and the tolerance.
#pragma once

#include <optional>
#include <string>

#include "harness/core/clock.h"
#include "harness/model/scenario.h"

namespace rpcfit::run {

struct TimingSettings {
  double time_scale = 1.0;       // real seconds per scenario second
  double tolerance_scale = 1.0;  // --tolerance-scale
  std::chrono::milliseconds real_floor{20};
};

// The tolerance for an instant expected `interval` after its cause.
Duration tolerance_for(const Tolerance& tolerance, Duration interval,
                       const TimingSettings& settings);
// The interval of instant `expected` in `scenario`: from the last step at or before it (the
// scenario's start when none is).
Duration interval_before(const Scenario& scenario, Duration expected);

struct TimingCheck {
  bool ok = true;
  Duration expected{};
  Duration actual{};
  Duration tolerance{};
};
TimingCheck check_instant(const Scenario& scenario, Duration expected, Duration actual,
                          const TimingSettings& settings);
// "expected at 2.100s, happened at 2.312s, tolerance 0.105s"
std::string describe(const TimingCheck& check);
// "2.100s", "100ms", "12.5ms": for messages.
std::string format_instant(Duration d);

}  // namespace rpcfit::run
