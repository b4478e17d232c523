#include "harness/cli/run_command.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "drivers/inproc/inproc_driver.h"
#include "harness/cli/run_console.h"
#include "harness/cli/run_outputs.h"
#include "harness/cli/suite_files.h"
#include "harness/core/random.h"
#include "harness/run/runner.h"
#include "harness/run/selection.h"
#include "reports/compare.h"
#include "reports/from_run.h"
#include "reports/report_files.h"
#include "reports/report_json.h"

#ifndef RPCFIT_VERSION
#define RPCFIT_VERSION "0.0.0"
#endif

namespace rpcfit::cli {
namespace {

using run::ScenarioRun;
using run::Verdict;

std::string iso_utc(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

reports::RunReport build_report(const RunOptions& o, const run::RunSettings& settings,
                                const std::vector<ScenarioRun>& runs, const RunOutputs& outputs,
                                std::time_t started, std::chrono::nanoseconds wall) {
  reports::RunReport report;
  report.tool_version = RPCFIT_VERSION;
  report.driver = "inproc";
  report.started_at = iso_utc(started);
  report.wall_ms = std::chrono::duration<double, std::milli>(wall).count();
  report.seed = settings.seed;
  reports::RunSettings& s = report.settings;
  s.paths = scenario_paths(o.paths);
  s.filters = o.filters;
  s.excludes = o.excludes;
  s.tags = o.tags;
  s.level = o.level;
  s.shard = o.shard;
  s.jobs = settings.jobs;
  s.repeat = settings.repeat;
  s.time_scale = settings.time_scale;
  s.tolerance_scale = settings.tolerance_scale;
  s.fail_fast = settings.fail_fast;
  for (const ScenarioRun& r : runs) {
    reports::ScenarioResult result = reports::scenario_result(r);
    result.capture = outputs.capture_check(r);
    result.live_capture = outputs.live_check(r);
    report.scenarios.push_back(std::move(result));
  }
  return report;
}

// --baseline: the comparison, printed; whether it found a regression.
bool compare_with_baseline(const RunOptions& o, const reports::RunReport& now,
                           const std::filesystem::path& folder, std::ostream& out,
                           std::ostream& err, bool& unreadable) {
  auto baseline = reports::read_report_file(o.baseline);
  if (!baseline) {
    err << "rpcfit: run: --baseline: " << baseline.error() << '\n';
    unreadable = true;
    return false;
  }
  reports::DiffOptions options;
  options.drift_percent = o.drift_percent;
  options.drift_min_ms = o.drift_min_ms;
  const reports::ReportDiff diff = reports::diff_reports(*baseline, now, options);
  out << "\nAgainst the baseline:\n"
      << reports::to_text(diff, *baseline, now, o.baseline, (folder / "report.json").string());
  return diff.regressed();
}

}  // namespace

int run_command(const RunOptions& o, std::ostream& out, std::ostream& err) {
  run::Selection selection;
  selection.filters = o.filters;
  selection.excludes = o.excludes;
  selection.tags = o.tags;
  if (o.level == "must") selection.level = run::Level::must;
  if (o.level == "should") selection.level = run::Level::should;
  if (!o.level.empty() && !selection.level) {
    err << "rpcfit: run: --level: expected must or should, got \"" << o.level << "\"\n";
    return 2;
  }
  if (!o.shard.empty()) {
    auto shard = run::parse_shard(o.shard);
    if (!shard) {
      err << "rpcfit: run: " << shard.error() << '\n';
      return 2;
    }
    selection.shard = *shard;
  } else {
    auto shard = run::shard_from_environment();
    if (!shard) {
      err << "rpcfit: run: " << shard.error() << '\n';
      return 2;
    }
    if (*shard) {
      selection.shard = **shard;
      // GoogleTest's protocol: a runner that shards touches this file to say so.
      if (const char* status = std::getenv("GTEST_SHARD_STATUS_FILE")) std::ofstream{status};
    }
  }
  if (!(o.time_scale > 0) || !(o.tolerance_scale > 0) || !std::isfinite(o.time_scale) ||
      !std::isfinite(o.tolerance_scale)) {
    err << "rpcfit: run: --time-scale and --tolerance-scale must be positive and finite\n";
    return 2;
  }

  const auto load = load_suite(scenario_paths(o.paths), err);
  if (load.errors > 0) {
    err << "rpcfit: run: " << load.errors << " problem(s) in the scenario files; nothing run\n";
    return 2;
  }
  const auto chosen = run::select(load.scenarios, selection);
  if (chosen.empty() && selection.shard.count > 1) {
    run::Selection unsharded = selection;
    unsharded.shard = run::Shard{};
    if (const auto all = run::select(load.scenarios, unsharded).size(); all > 0) {
      // As GoogleTest: a shard that gets nothing of a non-empty selection has passed.
      out << "rpcfit run: shard " << selection.shard.index << '/' << selection.shard.count
          << " has no scenario of the " << all << " selected\n";
      return 0;
    }
  }
  if (chosen.empty()) {
    err << "rpcfit: run: no scenario selected (" << load.scenarios.size() << " loaded from "
        << load.files << " file(s))\n";
    return 3;
  }

  run::RunSettings settings;
  settings.time_scale = o.time_scale;
  settings.tolerance_scale = o.tolerance_scale;
  settings.seed = o.seed ? *o.seed : fresh_seed();
  settings.jobs = o.jobs > 0 ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  settings.repeat = std::max(1u, o.repeat);
  settings.fail_fast = o.fail_fast;

  // The run folder, made before anything runs: a run that cannot keep its results does not start.
  const bool default_folder = o.out.empty();
  OutputOptions output_options;
  output_options.folder =
      default_folder ? default_run_folder("runs", settings.seed) : std::filesystem::path(o.out);
  output_options.root = o.root;
  output_options.update_captures = o.update_captures;
  output_options.live_interface = o.live_capture;
  RunOutputs outputs(output_options, settings);
  if (auto problem = outputs.prepare()) {
    err << "rpcfit: run: " << *problem << '\n';
    return 2;
  }

  out << "rpcfit run: " << chosen.size() << " scenario(s)";
  if (settings.repeat > 1) out << " x " << settings.repeat;
  out << ", seed " << settings.seed << ", -j " << settings.jobs << ", time scale "
      << settings.time_scale << '\n';
  if (!outputs.live_problem().empty()) {
    out << "rpcfit run: --live-capture " << o.live_capture
        << ": skipped: " << outputs.live_problem() << '\n';
  }
  out.flush();

  const CheckOf capture = [&](const ScenarioRun& r) { return outputs.capture_check(r); };
  const CheckOf live = [&](const ScenarioRun& r) { return outputs.live_check(r); };
  inproc::InprocDriver driver;
  run::Runner runner(driver, settings, outputs.capture_factory(), outputs.after_run());
  Tally tally;
  const std::time_t started_at = std::time(nullptr);
  const auto started = std::chrono::steady_clock::now();
  std::optional<ProgressLine> line;
  if (o.progress) line.emplace(out, chosen.size() * settings.repeat, started, capture, live);
  auto progress = [&](const ScenarioRun& r, std::size_t done, std::size_t) {
    tally.add(r.verdict);
    if (line) {
      line->result(r, settings.repeat, done, tally.of(Verdict::pass), tally.failed());
    } else {
      print_result(out, r, settings.repeat, capture, live);
      out.flush();
    }
  };
  const auto runs = runner.run_all(chosen, progress);
  line.reset();
  const auto elapsed = std::chrono::steady_clock::now() - started;

  if (tally.failed() > 0) print_failures(out, runs, settings);
  if (o.update_captures) {
    const auto updates = outputs.golden_updates();
    out << "\nGolden captures (" << updates.size() << "):\n";
    for (const auto& u : updates)
      out << "  " << u << '\n';
  }
  const reports::RunReport report = build_report(o, settings, runs, outputs, started_at, elapsed);
  int status = tally.failed() > 0 ? 1 : 0;
  if (auto problem = reports::write_report_files(outputs.folder(), report)) {
    err << "rpcfit: run: " << *problem << '\n';
    status = 1;
  }
  if (default_folder) point_latest_at(outputs.folder());
  if (!o.baseline.empty()) {
    bool unreadable = false;
    if (compare_with_baseline(o, report, outputs.folder(), out, err, unreadable)) status = 1;
    if (unreadable) status = 2;
  }
  out << "Reports: " << (outputs.folder() / "report.html").string()
      << " (report.json, junit.xml, summary.md and the captures beside it)\n";
  out << totals(tally, runs.size()) << " in " << seconds_text(elapsed) << " (seed " << settings.seed
      << ")\n";
  return status;
}

}  // namespace rpcfit::cli
