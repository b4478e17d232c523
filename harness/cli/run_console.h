// What `rpcfit run` prints: a line per result (and for one that did not pass its reasons, the
// capture diff and the faults that fired), the live progress line of a terminal, the failure
// summary with its replay command, and the totals.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "harness/model/scenario_run.h"
#include "harness/run/runner.h"

namespace rpcfit::cli {

std::string seconds_text(std::chrono::nanoseconds d);

// The result line; for a non-pass its reason, mismatches, capture diffs (at most 40 lines each)
// and the faults that fired, indented.
void print_result(std::ostream& out, const run::ScenarioRun& r, unsigned repeat);

struct Tally {
  std::map<run::Verdict, std::size_t> counts;
  void add(run::Verdict v) { ++counts[v]; }
  std::size_t of(run::Verdict v) const;
  std::size_t failed() const;  // FAIL, ERROR and XPASS
};
// "15 runs: 14 passed, 1 failed, 0 errors, 0 skipped, 0 xfail, 0 xpass"
std::string totals(const Tally& t, std::size_t n);

// The failures again, each with its reasons, and the command that replays them: the failing
// scenarios' files with the run's seed, repetitions and scales.
void print_failures(std::ostream& out, const std::vector<run::ScenarioRun>& runs,
                    const run::RunSettings& settings);

// The live progress line of a terminal: redrawn when a result comes and once a second between,
// so that the elapsed time moves during a long scenario.
class ProgressLine {
 public:
  ProgressLine(std::ostream& out, std::size_t total, std::chrono::steady_clock::time_point started);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // A finished run: its lines above the progress line (for what did not pass), then the line.
  void result(const run::ScenarioRun& r, unsigned repeat, std::size_t done, std::size_t passed,
              std::size_t failed);

 private:
  void draw();  // mu_ held

  std::ostream& out_;
  const std::chrono::steady_clock::time_point started_;
  const std::size_t total_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::size_t done_runs_ = 0, passed_ = 0, failed_ = 0;
  std::thread ticker_;
};

}  // namespace rpcfit::cli
