#include "harness/run/runner.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "harness/core/digest.h"
#include "harness/core/random.h"
#include "harness/run/capture_checks.h"
#include "harness/run/client_thread.h"
#include "harness/run/journal.h"
#include "harness/run/playback.h"

namespace rpcfit::run {
namespace {

// A private (0700) directory for one scenario run's sockets and queues.
Result<std::filesystem::path, std::string> make_private_dir(const std::filesystem::path& base) {
  std::filesystem::path root = base;
  if (root.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    root = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  }
  std::string pattern = (root / "rpcfit-run-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {  // mkdtemp makes it 0700
    return unexpected(std::string("cannot make a run directory under ") + root.string());
  }
  return std::filesystem::path(pattern);
}

}  // namespace

std::uint64_t scenario_seed(std::uint64_t run_seed, std::string_view id, unsigned repetition) {
  return Random(run_seed).fork(fnv1a64(id) ^ (0x9e3779b97f4a7c15ULL * (repetition + 1ULL))).seed();
}

Runner::Runner(RuntimeDriver& driver, RunSettings settings, CaptureStore* store)
    : driver_(driver), settings_(std::move(settings)), store_(store) {
  if (settings_.jobs == 0) settings_.jobs = 1;
  if (settings_.repeat == 0) settings_.repeat = 1;
  if (!(settings_.time_scale > 0)) settings_.time_scale = 1.0;
}

std::chrono::nanoseconds Runner::stall_limit(const Scenario& scenario) const {
  const Duration tolerance = tolerance_for(scenario.tolerance, Duration{}, settings_.timing());
  return std::chrono::duration_cast<std::chrono::nanoseconds>(tolerance * settings_.time_scale / 2);
}

ScenarioRun Runner::run_one(const Scenario& scenario, unsigned repetition) {
  std::call_once(monitor_once_,
                 [this] { monitor_ = std::make_unique<StallMonitor>(settings_.monitor_now); });
  const auto started = std::chrono::steady_clock::now();
  const auto limit = stall_limit(scenario);
  std::vector<ScenarioRun::Attempt> retried;
  bool left_behind = false;
  ScenarioRun run = attempt(scenario, repetition, left_behind);
  while (fails_run(run.verdict) && run.stall >= limit && !left_behind &&
         retried.size() < settings_.stall_retries) {
    retried.push_back({run.verdict, run.reason, run.stall});
    run = attempt(scenario, repetition, left_behind);
  }
  if (fails_run(run.verdict) && run.stall >= limit) {
    run.reason += "; the machine stalled for " + format_instant(run.stall) +
                  " while it played (half the smallest tolerance is " + format_instant(limit) +
                  (retried.empty() ? ")"
                                   : "), as it did in each of the " +
                                         std::to_string(retried.size()) + " attempts before");
  }
  run.retried = std::move(retried);
  run.wall = std::chrono::steady_clock::now() - started;
  return run;
}

ScenarioRun Runner::attempt(const Scenario& scenario, unsigned repetition, bool& left_behind) {
  left_behind = false;
  ScenarioRun run;
  run.scenario = &scenario;
  run.repetition = repetition;
  run.seed = scenario_seed(settings_.seed, scenario.id, repetition);
  const auto started = std::chrono::steady_clock::now();
  if (scenario.skip) {
    run.verdict = Verdict::skip;
    run.reason = *scenario.skip;
    return run;
  }
  auto dir = make_private_dir(settings_.work_dir);
  if (!dir) {
    run.verdict = Verdict::error;
    run.reason = dir.error();
    return run;
  }
  std::optional<Playback> playback;
  try {
    playback.emplace(driver_, settings_, store_, monitor_.get(), scenario, repetition, run.seed,
                     *dir);
  } catch (const std::exception& e) {
    std::error_code ec;
    std::filesystem::remove_all(*dir, ec);  // nothing ran in it
    run.verdict = Verdict::error;
    run.reason = std::string("harness: ") + e.what();
  }
  if (playback) {
    try {
      playback->play(run);
    } catch (const std::exception& e) {
      run.verdict = Verdict::error;
      run.reason = std::string("harness: ") + e.what();
    }
    left_behind = playback->left_behind();
    const bool captured = playback->captured();
    playback.reset();  // ends what still runs; removes the directory, or abandons it with the world
    // Observed to its end or to the watchdog (not an ERROR or a SKIP): the capture checks join
    // the expectations' mismatches when the capture is closed (no thread was left writing to
    // it), and the verdict is made.
    if (run.verdict != Verdict::error && run.verdict != Verdict::skip) {
      try {
        if (store_ && captured && !left_behind) check_captures(*store_, settings_, scenario, run);
        judge(scenario, run);
        if (settings_.known_failures) apply_known_failures(*settings_.known_failures, run);
      } catch (const std::exception& e) {
        run.verdict = Verdict::error;
        run.reason = std::string("harness: ") + e.what();
      }
    }
  }
  run.wall = std::chrono::steady_clock::now() - started;
  return run;
}

std::vector<ScenarioRun> Runner::run_all(const std::vector<const Scenario*>& scenarios,
                                         const Progress& progress) {
  const std::size_t total = scenarios.size() * settings_.repeat;
  std::vector<ScenarioRun> results(total);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stopped{false};
  std::mutex progress_mu;
  std::size_t done = 0;
  auto work = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= total) return;
      const Scenario& scenario = *scenarios[i / settings_.repeat];
      const auto repetition = static_cast<unsigned>(i % settings_.repeat);
      ScenarioRun run;
      if (stopped.load()) {
        run.scenario = &scenario;
        run.repetition = repetition;
        run.seed = scenario_seed(settings_.seed, scenario.id, repetition);
        run.verdict = Verdict::skip;
        run.reason = "not run: --fail-fast stopped the run after a failure";
      } else {
        run = run_one(scenario, repetition);
        if (settings_.fail_fast && fails_run(run.verdict)) stopped.store(true);
      }
      std::lock_guard lock(progress_mu);
      results[i] = std::move(run);
      ++done;
      if (progress) progress(results[i], done, total);
    }
  };
  const std::size_t workers = std::min<std::size_t>(settings_.jobs, total);
  std::vector<std::thread> pool;
  for (std::size_t w = 1; w < workers; ++w)
    pool.emplace_back(work);
  work();
  for (auto& t : pool)
    t.join();
  return results;
}

}  // namespace rpcfit::run
