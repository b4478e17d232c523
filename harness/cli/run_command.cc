#include "harness/cli/run_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "captures/pcap_store.h"
#include "drivers/agent/agent_driver.h"
#include "harness/cli/drivers.h"
#include "harness/cli/run_console.h"
#include "harness/cli/run_folder.h"
#include "harness/cli/suite_files.h"
#include "harness/core/random.h"
#include "harness/run/runner.h"
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

std::string scale_text(double v) {
  std::ostringstream text;
  text << v;
  return text.str();
}

std::string iso_utc(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Who played each role: the agent driver's targets (with its agent's hello), or rpcfit's
// runtime in process in both.
std::vector<reports::Target> targets_of(const agent::AgentDriver* agent_driver) {
  std::vector<reports::Target> targets;
  if (agent_driver == nullptr) {
    for (const char* role : {"client", "server"})
      targets.push_back(reports::Target{role, "inproc", "", "rpcfit", RPCFIT_VERSION, 0});
    return targets;
  }
  for (const agent::TargetInfo& t : agent_driver->targets()) {
    targets.push_back(reports::Target{t.role, t.driver, t.command, t.implementation,
                                      t.command.empty() ? RPCFIT_VERSION : t.version, t.protocol});
  }
  return targets;
}

reports::RunReport build_report(const RunOptions& o, const run::RunSettings& settings,
                                const std::string& driver, const std::vector<ScenarioRun>& runs,
                                std::time_t started, std::chrono::nanoseconds wall) {
  reports::RunReport report;
  report.tool_version = RPCFIT_VERSION;
  report.driver = driver;
  report.started_at = iso_utc(started);
  report.wall_ms = std::chrono::duration<double, std::milli>(wall).count();
  report.seed = settings.seed;
  reports::RunSettings& s = report.settings;
  s.paths = scenario_paths(o.paths);
  s.filters = o.selection.filters;
  s.excludes = o.selection.excludes;
  s.tags = o.selection.tags;
  s.level = o.selection.level;
  s.shard = o.selection.shard;
  s.jobs = settings.jobs;
  s.repeat = settings.repeat;
  s.time_scale = settings.time_scale;
  s.tolerance_scale = settings.tolerance_scale;
  s.fail_fast = settings.fail_fast;
  s.stall_retries = settings.stall_retries;
  for (const ScenarioRun& r : runs)
    report.scenarios.push_back(reports::scenario_result(r));
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

// What the scenarios chosen came to: the scenarios (pointing into `load`), or the exit status
// to end with.
struct Chosen {
  SuiteLoad load;
  std::vector<const run::Scenario*> scenarios;
  std::optional<int> exit;
};

void choose(const RunOptions& o, const run::Selection& selection, Chosen& chosen, std::ostream& out,
            std::ostream& err) {
  chosen.load = load_suite(scenario_paths(o.paths), err);
  if (chosen.load.errors > 0) {
    err << "rpcfit: run: " << chosen.load.errors
        << " problem(s) in the scenario files; nothing run\n";
    chosen.exit = 2;
    return;
  }
  chosen.scenarios = run::select(chosen.load.scenarios, selection);
  if (!chosen.scenarios.empty()) return;
  if (selection.shard.count > 1) {
    run::Selection unsharded = selection;
    unsharded.shard = run::Shard{};
    if (const auto all = run::select(chosen.load.scenarios, unsharded).size(); all > 0) {
      // As GoogleTest: a shard that gets nothing of a non-empty selection has passed.
      out << "rpcfit run: shard " << selection.shard.index << '/' << selection.shard.count
          << " has no scenario of the " << all << " selected\n";
      chosen.exit = 0;
      return;
    }
  }
  err << "rpcfit: run: no scenario selected (" << chosen.load.scenarios.size() << " loaded from "
      << chosen.load.files << " file(s))\n";
  chosen.exit = 3;
}

// The driver the options name: --client-agent's, or --driver's.
Result<std::unique_ptr<run::RuntimeDriver>, std::string> driver_for(
    const RunOptions& o, agent::AgentDriver*& agent_driver) {
  if (o.client_agent.empty()) return make_driver(o.driver);
  if (o.driver != "inproc") {
    return unexpected("--client-agent plays the client with an agent: --driver " + o.driver +
                      " cannot go with it");
  }
  if (o.time_scale != 1.0) {
    return unexpected(
        "--client-agent: a run with an agent plays at time scale 1 (a foreign runtime's cancel "
        "timeouts are real seconds); --time-scale " +
        scale_text(o.time_scale) + " is refused");
  }
  agent::AgentDriverOptions options;
  options.client_command = o.client_agent;
  auto made = std::make_unique<agent::AgentDriver>(std::move(options));
  agent_driver = made.get();
  return std::unique_ptr<run::RuntimeDriver>(std::move(made));
}

run::RunSettings settings_of(const RunOptions& o) {
  run::RunSettings settings;
  settings.time_scale = o.time_scale;
  settings.tolerance_scale = o.tolerance_scale;
  settings.seed = o.seed ? *o.seed : fresh_seed();
  settings.jobs = o.jobs > 0 ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  settings.repeat = std::max(1u, o.repeat);
  settings.fail_fast = o.fail_fast;
  settings.stall_retries = o.stall_retries;
  settings.update_captures = o.update_captures;
  return settings;
}

// Plays the chosen scenarios, printing a line per result or the progress line.
std::vector<ScenarioRun> play(const RunOptions& o, run::Runner& runner,
                              const std::vector<const run::Scenario*>& chosen, Tally& tally,
                              std::ostream& out) {
  const unsigned repeat = runner.settings().repeat;
  std::optional<ProgressLine> line;
  if (o.progress) line.emplace(out, chosen.size() * repeat, std::chrono::steady_clock::now());
  auto progress = [&](const ScenarioRun& r, std::size_t done, std::size_t) {
    tally.add(r.verdict);
    if (line) {
      line->result(r, repeat, done, tally.of(Verdict::pass), tally.failed());
    } else {
      print_result(out, r, repeat);
      out.flush();
    }
  };
  return runner.run_all(chosen, progress);
}

// --update-captures: what became of each golden, "recorded PATH (N PDUs)".
void print_golden_updates(const std::vector<ScenarioRun>& runs, std::ostream& out) {
  std::vector<std::string> updates;
  for (const ScenarioRun& r : runs) {
    if (!r.capture) continue;
    const run::CaptureCheck& c = *r.capture;
    if (c.status != "recorded" && c.status != "updated" && c.status != "unchanged") continue;
    updates.push_back(c.status + " " + c.golden + " (" + std::to_string(c.pdus) + " PDUs" +
                      (c.detail.empty() ? "" : "; was: " + c.detail) + ")");
  }
  out << "\nGolden captures (" << updates.size() << "):\n";
  for (const auto& u : updates)
    out << "  " << u << '\n';
}

}  // namespace

int run_command(const RunOptions& o, std::ostream& out, std::ostream& err) {
  auto selection = parse_selection(o.selection, Sharding::allowed);
  if (!selection) {
    err << "rpcfit: run: " << selection.error() << '\n';
    return 2;
  }
  if (!(o.time_scale > 0) || !(o.tolerance_scale > 0) || !std::isfinite(o.time_scale) ||
      !std::isfinite(o.tolerance_scale)) {
    err << "rpcfit: run: --time-scale and --tolerance-scale must be positive and finite\n";
    return 2;
  }
  agent::AgentDriver* agent_driver = nullptr;
  auto driver = driver_for(o, agent_driver);
  if (!driver) {
    err << "rpcfit: run: " << driver.error() << '\n';
    return 2;
  }
  Chosen chosen;
  choose(o, *selection, chosen, out, err);
  if (chosen.exit) return *chosen.exit;

  run::RunSettings settings = settings_of(o);
  if (!o.known_failures.empty()) {
    auto known = run::read_known_failures(o.known_failures);
    if (!known) {
      err << "rpcfit: run: --known-failures: " << known.error() << '\n';
      return 2;
    }
    settings.known_failures = std::make_shared<const run::KnownFailures>(std::move(*known));
  }
  // The run folder, made before anything runs: a run that cannot keep its results does not start.
  const bool default_folder = o.out.empty();
  captures::PcapStoreOptions store_options;
  store_options.folder =
      default_folder ? default_run_folder("runs", settings.seed) : std::filesystem::path(o.out);
  store_options.root = o.root;
  store_options.repeat = settings.repeat;
  store_options.live_interface = o.live_capture;
  captures::PcapStore store(store_options);
  if (auto problem = store.prepare()) {
    err << "rpcfit: run: " << *problem << '\n';
    return 2;
  }

  out << "rpcfit run: " << chosen.scenarios.size() << " scenario(s)";
  if (settings.repeat > 1) out << " x " << settings.repeat;
  out << ", seed " << settings.seed << ", -j " << settings.jobs << ", time scale "
      << settings.time_scale << (agent_driver ? " (an agent plays a role: real time)" : "") << '\n';
  if (agent_driver) out << "rpcfit run: client under test: " << o.client_agent << '\n';
  if (!store.live_problem().empty()) {
    out << "rpcfit run: --live-capture " << o.live_capture << ": skipped: " << store.live_problem()
        << '\n';
  }
  out.flush();

  run::Runner runner(**driver, settings, &store);
  Tally tally;
  const std::time_t started_at = std::time(nullptr);
  const auto started = std::chrono::steady_clock::now();
  const auto runs = play(o, runner, chosen.scenarios, tally, out);
  const auto elapsed = std::chrono::steady_clock::now() - started;

  if (tally.failed() > 0) print_failures(out, runs, settings);
  if (o.update_captures) print_golden_updates(runs, out);
  reports::RunReport report =
      build_report(o, settings, (*driver)->name(), runs, started_at, elapsed);
  report.targets = targets_of(agent_driver);
  int status = tally.failed() > 0 ? 1 : 0;
  if (auto problem = reports::write_report_files(store.folder(), report)) {
    err << "rpcfit: run: " << *problem << '\n';
    status = 1;
  }
  if (default_folder) point_latest_at(store.folder());
  if (!o.baseline.empty()) {
    bool unreadable = false;
    if (compare_with_baseline(o, report, store.folder(), out, err, unreadable)) status = 1;
    if (unreadable) status = 2;
  }
  out << "Reports: " << (store.folder() / "report.html").string()
      << " (report.json, junit.xml, summary.md and the captures beside it)\n";
  out << totals(tally, runs.size()) << " in " << seconds_text(elapsed) << " (seed " << settings.seed
      << ")\n";
  return status;
}

Command add_run_command(CLI::App& rpcfit) {
  auto o = std::make_shared<RunOptions>();
  auto seed = std::make_shared<std::uint64_t>(0);
  CLI::App* run = rpcfit.add_subcommand(
      "run",
      "Run scenarios through a driver and check them (default: every file under "
      "scenarios/, on rpcfit's own runtime)");
  run->add_option("PATH", o->paths, "Scenario files or directories (searched for *.yaml)");
  add_selection_options(*run, o->selection, Sharding::allowed);
  run->add_option(
      "--driver", o->driver,
      "The runtime under test, by driver name: " + driver_names() + " (default inproc)");
  run->add_option("--client-agent", o->client_agent,
                  "The client under test: the command of an agent speaking "
                  "drivers/agent/PROTOCOL.md (run by /bin/sh -c, once per scenario), e.g. "
                  "'rpcfit agent'; plays at time scale 1");
  run->add_option("--known-failures", o->known_failures,
                  "The target's known failures: lines of a scenario id, glob or rule id and the "
                  "reason; their FAILs become XFAIL, a listed scenario that passes XPASS");
  run->add_option("-j,--jobs", o->jobs, "Scenarios run at once (default: the number of cores)");
  run->add_option(
      "--time-scale", o->time_scale,
      "Real seconds per scenario second, e.g. 0.05 runs twenty times faster (default 1)");
  run->add_option("--tolerance-scale", o->tolerance_scale,
                  "Multiplies every timing tolerance, for slow machines (default 1)");
  auto* seed_option = run->add_option(
      "--seed", *seed, "Run seed every random decision derives from (default: fresh, printed)");
  run->add_option("--repeat", o->repeat, "Run each scenario N times");
  run->add_flag("--fail-fast", o->fail_fast, "Start no scenario after a failure");
  run->add_option("--stall-retries", o->stall_retries,
                  "Play a scenario again, up to N times, when it failed while the machine stalled "
                  "the harness (default 2; 0: never)");
  run->add_option("--out", o->out,
                  "The run folder: captures and reports (default: runs/<UTC time>-<seed>, with "
                  "runs/latest pointing to it)");
  run->add_option("--root", o->root,
                  "Where golden captures' paths start (default: the current directory)");
  run->add_flag("--update-captures", o->update_captures,
                "Record or refresh the golden captures of the scenarios that pass");
  run->add_option("--live-capture", o->live_capture,
                  "Also capture on this interface (lo) with libpcap and compare (needs capture "
                  "privileges)");
  run->add_option("--baseline", o->baseline,
                  "Compare with this report.json; a new failure fails the run");
  run->add_option("--drift", o->drift_percent,
                  "With --baseline: timing drift reported beyond this percentage (default 20)");
  run->add_option("--drift-min", o->drift_min_ms,
                  "With --baseline: ... and beyond this many milliseconds (default 50)");
  run->footer(
      "Exit status: 0 all passed, 1 any FAIL, ERROR or XPASS (or a regression against "
      "--baseline),\n"
      "2 usage error, invalid scenario or unreadable baseline, 3 no scenario selected.");
  return Command{run, [o, seed, seed_option] {
                   if (seed_option->count() > 0) o->seed = *seed;
                   o->progress = ::isatty(STDOUT_FILENO) == 1;
                   return run_command(*o, std::cout, std::cerr);
                 }};
}

}  // namespace rpcfit::cli
