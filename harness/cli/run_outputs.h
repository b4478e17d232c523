// What `rpcfit run` keeps of a run beyond the verdicts it prints: the run folder, and in it a pcap
// per scenario run (<id>/capture.pcap, capture-<n>.pcap with --repeat), each compared with the
// scenario's golden capture (--update-captures records or refreshes the goldens of passing
// scenarios), the live capture of an interface (--live-capture) compared with the runtime's own,
// and at the end report.json, junit.xml, report.html and summary.md.
//
// The golden of a scenario is its `capture:` path, else captures/golden/<id>.pcap, both relative
// to the root (--root, by default the current directory: the project's root).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "captures/live_capture.h"
#include "harness/run/runner.h"
#include "reports/report.h"

namespace rpcfit::cli {

struct OutputOptions {
  std::filesystem::path folder;  // the run folder (made if missing)
  std::filesystem::path root = ".";
  bool update_captures = false;
  std::string live_interface;  // empty: no live capture
};

// The default run folder: runs/<UTC time>-<seed> under `base`, and runs/latest pointing to it.
std::filesystem::path default_run_folder(const std::filesystem::path& base, std::uint64_t seed);
// Points <folder's parent>/latest at `folder` (a relative symbolic link); false when it cannot.
bool point_latest_at(const std::filesystem::path& folder);

// The path of a scenario's golden capture, relative to the root.
std::string golden_path(const run::Scenario& scenario);

class RunOutputs {
 public:
  RunOutputs(OutputOptions options, run::RunSettings settings);
  ~RunOutputs();

  // Makes the folder and starts the live capture. An error when the folder cannot be made; a
  // live capture that cannot start is a note (`live_problem`), and its checks are skipped.
  std::optional<std::string> prepare();
  const std::filesystem::path& folder() const { return options_.folder; }
  const std::string& live_problem() const { return live_problem_; }

  run::CaptureFactory capture_factory();
  run::AfterRun after_run();

  // The checks made for a run (none when the scenario did not get that far).
  std::optional<reports::CaptureCheck> capture_check(const run::ScenarioRun& run) const;
  std::optional<reports::CaptureCheck> live_check(const run::ScenarioRun& run) const;
  // The goldens --update-captures recorded, replaced or found unchanged: "recorded PATH (N PDUs)".
  std::vector<std::string> golden_updates() const;

 private:
  using RunKey = std::pair<const run::Scenario*, unsigned>;
  std::filesystem::path capture_file(const run::Scenario& scenario, unsigned repetition) const;
  std::string relative(const std::filesystem::path& file) const;
  std::vector<run::Mismatch> check(const run::Scenario& scenario, run::ScenarioRun& run);
  std::optional<run::Mismatch> check_golden(const run::Scenario& scenario,
                                            const run::ScenarioRun& run,
                                            const std::filesystem::path& file,
                                            reports::CaptureCheck& out);
  std::optional<run::Mismatch> check_live(const run::Scenario& scenario,
                                          const run::ScenarioRun& run,
                                          const std::filesystem::path& file,
                                          reports::CaptureCheck& out);

  OutputOptions options_;
  run::RunSettings settings_;
  std::unique_ptr<captures::LiveCapture> live_;
  std::string live_problem_;
  mutable std::mutex mu_;
  std::map<RunKey, std::uint64_t> live_marks_;
  std::map<RunKey, reports::CaptureCheck> captures_;
  std::map<RunKey, reports::CaptureCheck> lives_;
  std::vector<std::string> updates_;
};

}  // namespace rpcfit::cli
