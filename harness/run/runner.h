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
// in scenario time, plus a real-time grace) is observed up to there, and its expectations are
// checked against that observation: what the runtime under test left running (a call, a server
// routine, an API that did not return) is a FAIL of the expectations it breaks, each naming its
// rules (CS-NEV-1 for a call that hung its caller, CS-RET-1 for an API that never returned). It is
// an ERROR only when nothing expected was broken, or for the harness's own trouble (a session
// that would not open, a client thread that would not register). The runner then shuts the
// session down, which ends every call, and joins its threads. A thread that still does not end is
// reported and left detached (the run goes on).
//
// Attempts: a loaded machine can keep the runtime under test's threads off the CPU long enough
// to break a timing check, or make a datagram runtime retransmit, and that is not the runtime's
// fault. A stall monitor (stall_monitor.h) watches every CPU while the scenarios play, and the
// playback measures how late its own timeline ran (a step's wake-up, the timeline thread's start
// of an API call). A run that fails (FAIL, XPASS, ERROR) in a stall of at least half the
// scenario's smallest timing tolerance (real time) is played again, up to `stall_retries` more
// times; the discarded attempts stay in the result (ScenarioRun::retried) and in every report. A
// runtime that breaks a rule breaks it on an idle machine too: when the last attempt still fails,
// its verdict stands, and its reason says how the machine stalled.
//
// Seeds: the run seed is printed; each scenario run's seed derives from it, the scenario's id and
// the repetition (scenario_seed), so a run replays with --seed and one scenario replays alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "harness/check/timing.h"
#include "harness/model/known_failures.h"
#include "harness/model/scenario.h"
#include "harness/model/scenario_run.h"
#include "harness/run/stall_monitor.h"
#include "harness/seams/capture_store.h"
#include "harness/seams/runtime_driver.h"

namespace rpcfit::run {

struct RunSettings {
  double time_scale = 1.0;       // --time-scale: real seconds per scenario second
  double tolerance_scale = 1.0;  // --tolerance-scale
  std::uint64_t seed = 0;        // the run seed
  unsigned jobs = 1;             // scenarios run at once
  unsigned repeat = 1;           // runs of each scenario
  bool fail_fast = false;        // no new scenario starts after a failing verdict
  unsigned stall_retries = 2;    // --stall-retries: attempts after one that failed in a stall
  // Real time the watchdog allows beyond a scenario's timeout (slow machines, shutdown).
  std::chrono::milliseconds watchdog_grace{10000};
  // Where private run directories are made; empty: a directory under $TMPDIR or /tmp.
  std::filesystem::path work_dir;
  // --update-captures: the golden check records or refreshes the goldens of passing scenarios.
  bool update_captures = false;
  // --known-failures: the target's known failures (XFAIL, XPASS); null: none.
  std::shared_ptr<const KnownFailures> known_failures;
  // The clock the stall monitor reads (tests give one that jumps); empty: steady_clock.
  StallMonitor::Now monitor_now;

  // The settings every timing check of the run uses.
  TimingSettings timing() const { return TimingSettings{time_scale, tolerance_scale}; }
};

std::uint64_t scenario_seed(std::uint64_t run_seed, std::string_view id, unsigned repetition);

class Runner {
 public:
  // `store` keeps each scenario run's capture and backs the capture checks; null: no capture is
  // kept or checked.
  Runner(RuntimeDriver& driver, RunSettings settings, CaptureStore* store = nullptr);

  // Plays one scenario to its verdict. Never throws for a scenario's sake.
  ScenarioRun run_one(const Scenario& scenario, unsigned repetition = 0);

  // Plays each scenario settings.repeat times on settings.jobs worker threads; `progress` is
  // called once per finished run, one call at a time, with the count done so far and the total.
  // Results come back in input order (scenario, then repetition).
  using Progress = std::function<void(const ScenarioRun& run, std::size_t done, std::size_t total)>;
  std::vector<ScenarioRun> run_all(const std::vector<const Scenario*>& scenarios,
                                   const Progress& progress = {});

  const RunSettings& settings() const { return settings_; }

  // The stall beyond which a failing run of `scenario` is played again: half its smallest timing
  // tolerance, in real time.
  std::chrono::nanoseconds stall_limit(const Scenario& scenario) const;

 private:
  // One attempt at the scenario; `left_behind` says whether a thread of it could not be ended
  // (its world, capture file included, is then still in use: no attempt may follow).
  ScenarioRun attempt(const Scenario& scenario, unsigned repetition, bool& left_behind);

  RuntimeDriver& driver_;
  RunSettings settings_;
  CaptureStore* store_;
  std::once_flag monitor_once_;
  std::unique_ptr<StallMonitor> monitor_;  // started by the first scenario run
};

}  // namespace rpcfit::run
