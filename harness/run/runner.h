// The runner: plays scenarios through a RuntimeDriver on real threads, on the scenario's
// timeline, and gives each a verdict.
//
// One scenario: a private run directory (0700), a RealClock at the run's time scale, a session
// from the driver, one real thread per client thread the scenario names (each registered with the
// client runtime before the timeline starts), and the timeline on the runner's thread: each step
// at its instant (a client-thread step also waits for its thread to be free). After the last step
// the runner waits for every call to end, or for the scenario's `timeout` when an expectation says
// a call or routine must still be running; then it collects the observation, shuts the session
// down, and checks the expectations (checks.h).
//
// The watchdog: a scenario whose timeline or calls are still waiting at its deadline (`timeout`
// in scenario time, plus a real-time grace) is an ERROR that says what it was waiting for; the
// runner then shuts the session down, which ends every call, and joins its threads. A thread that
// still does not end is reported in the ERROR and left detached (the run goes on).
//
// Seeds: the run seed is printed; each scenario run's seed derives from it, the scenario's id and
// the repetition (scenario_seed), so a run replays with --seed and one scenario replays alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/run/checks.h"
#include "harness/run/observation.h"
#include "harness/run/scenario.h"
#include "harness/run/timing.h"
#include "harness/run/verdict.h"
#include "harness/seams/capture_sink.h"
#include "harness/seams/runtime_driver.h"

namespace rpcfit::run {

struct RunSettings {
  double time_scale = 1.0;       // --time-scale: real seconds per scenario second
  double tolerance_scale = 1.0;  // --tolerance-scale
  std::uint64_t seed = 0;        // the run seed
  unsigned jobs = 1;             // scenarios run at once
  unsigned repeat = 1;           // runs of each scenario
  bool fail_fast = false;        // no new scenario starts after a failing verdict
  // Real time the watchdog allows beyond a scenario's timeout (slow machines, shutdown).
  std::chrono::milliseconds watchdog_grace{10000};
  // Where private run directories are made; empty: a directory under $TMPDIR or /tmp.
  std::filesystem::path work_dir;
};

// A capture sink per scenario run (e.g. a pcap under the run's output folder); the runner closes
// it by destroying it after the session. Null factory or null sink: none. It may throw: the
// scenario is then an ERROR with the exception's text.
using CaptureFactory =
    std::function<std::unique_ptr<CaptureSink>(const Scenario& scenario, unsigned repetition)>;

struct ScenarioRun;
// Checks made once a scenario's world is gone and its capture closed (the golden capture's
// comparison): they return more mismatches, and the verdict is made again with them. Not called
// for an ERROR or SKIP, nor when a thread was left behind (the capture is still open). It may
// throw: the scenario is then an ERROR.
using AfterRun = std::function<std::vector<Mismatch>(const Scenario& scenario, ScenarioRun& run)>;

struct ScenarioRun {
  const Scenario* scenario = nullptr;
  unsigned repetition = 0;  // 0-based
  std::uint64_t seed = 0;
  Verdict verdict = Verdict::pass;
  std::vector<Mismatch> mismatches;  // fail, xfail
  std::string reason;                // error, skip, xfail (the scenario's), xpass
  Observation observed;
  std::chrono::nanoseconds wall{};  // real time the scenario took
};

std::uint64_t scenario_seed(std::uint64_t run_seed, std::string_view id, unsigned repetition);
// The verdict of a run that played to its end, from its mismatches and the scenario's known-failure
// mark (PASS, FAIL, XFAIL or XPASS), with the reason that goes with it.
void judge(const Scenario& scenario, ScenarioRun& run);

class Runner {
 public:
  Runner(RuntimeDriver& driver, RunSettings settings, CaptureFactory captures = {},
         AfterRun after = {});

  // Plays one scenario to its verdict. Never throws for a scenario's sake.
  ScenarioRun run_one(const Scenario& scenario, unsigned repetition = 0);

  // Plays each scenario settings.repeat times on settings.jobs worker threads; `progress` is
  // called once per finished run, one call at a time, with the count done so far and the total.
  // Results come back in input order (scenario, then repetition).
  using Progress = std::function<void(const ScenarioRun& run, std::size_t done, std::size_t total)>;
  std::vector<ScenarioRun> run_all(const std::vector<const Scenario*>& scenarios,
                                   const Progress& progress = {});

  const RunSettings& settings() const { return settings_; }

 private:
  RuntimeDriver& driver_;
  RunSettings settings_;
  CaptureFactory captures_;
  AfterRun after_;
};

}  // namespace rpcfit::run
