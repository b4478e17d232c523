// One run of a scenario: its verdict, why, what did not hold, what it observed, and what its
// capture checks found. The runner (harness/run) makes it; the reports (reports/) render it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/model/normalized_capture.h"
#include "harness/model/observation.h"
#include "harness/model/scenario.h"
#include "harness/model/verdict.h"

namespace rpcfit::run {

struct ScenarioRun {
  const Scenario* scenario = nullptr;
  unsigned repetition = 0;  // 0-based
  std::uint64_t seed = 0;
  Verdict verdict = Verdict::pass;
  std::vector<Mismatch> mismatches;  // fail, xfail
  std::string reason;                // fail (the rules broken), error, skip, xfail, xpass
  // What the runtime under test still had running when the watchdog ended the scenario (its
  // expectations are then checked against what was observed up to there); empty: it did not.
  std::string watchdog;
  Observation observed;
  std::optional<CaptureCheck> capture;  // against the golden; none: no capture was checked
  std::optional<CaptureCheck> live;     // against the live capture (--live-capture)
  std::chrono::nanoseconds wall{};      // real time the scenario took, over all its attempts
  // The worst stall seen while the scenario played (real time): how late a thread asking to wake
  // got the CPU, by the stall monitor's probes or the timeline's own steps
  // (harness/run/stall_monitor.h).
  std::chrono::nanoseconds stall{};
  // An attempt the runner discarded: it failed while the machine stalled (harness/run/runner.h).
  struct Attempt {
    Verdict verdict = Verdict::pass;
    std::string reason;
    std::chrono::nanoseconds stall{};
  };
  std::vector<Attempt> retried;  // in the order they ran; this run is the attempt after them
  // What the runtime under test wrote (an agent's stderr, its last 64 KiB) when its session ended
  // in the driver's trouble; empty otherwise.
  std::string log;
  // How far an agent's timestamps may be off scenario time; none: the runtime is in process.
  std::optional<std::chrono::nanoseconds> alignment_error;
};

// The verdict of a run that was observed to its end (or to the watchdog, on the runtime under
// test's account), from its mismatches and the scenario's known-failure mark (PASS, FAIL, XFAIL or
// XPASS), with the reason that goes with it: a FAIL's names the rules broken.
void judge(const Scenario& scenario, ScenarioRun& run);

}  // namespace rpcfit::run
