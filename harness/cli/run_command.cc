#include "harness/cli/run_command.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "captures/pcap_writer.h"
#include "drivers/inproc/inproc_driver.h"
#include "harness/cli/suite_files.h"
#include "harness/core/random.h"
#include "harness/run/runner.h"
#include "harness/run/selection.h"

namespace rpcfit::cli {
namespace {

using run::ScenarioRun;
using run::Verdict;

std::string seconds_text(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", std::chrono::duration<double>(d).count());
  return buf;
}

std::string run_label(const ScenarioRun& r, unsigned repeat) {
  std::string label = r.scenario->id;
  if (repeat > 1) label += " #" + std::to_string(r.repetition + 1);
  return label;
}

// The result line, and for a non-pass its reasons, indented.
void print_result(std::ostream& out, const ScenarioRun& r, unsigned repeat) {
  char verdict[8];
  std::snprintf(verdict, sizeof verdict, "%-6s", std::string(run::verdict_name(r.verdict)).c_str());
  out << verdict << ' ' << run_label(r, repeat) << "  " << seconds_text(r.wall) << '\n';
  if (r.verdict == Verdict::pass) return;
  if (!r.reason.empty()) out << "       " << r.reason << '\n';
  if (r.verdict == Verdict::fail || r.verdict == Verdict::xfail) {
    for (const auto& m : r.mismatches)
      out << "       " << run::to_string(m) << '\n';
  }
  if (!r.observed.faults_injected.empty()) {
    out << "       faults injected: " << r.observed.faults_injected << " (fault seed "
        << r.observed.fault_seed << ")\n";
  }
}

// The shortest text that reads back as `value` (so that a replayed run uses the same scale).
std::string number_text(double value) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, res.ptr);
}

// `word` as one shell word: as it is when it holds only safe characters, else single-quoted.
std::string shell_word(const std::string& word) {
  const bool safe = !word.empty() && word.find_first_not_of(
                                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789_-./:=+,@%") == std::string::npos;
  if (safe) return word;
  std::string quoted = "'";
  for (const char c : word)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

struct Tally {
  std::map<Verdict, std::size_t> counts;
  void add(Verdict v) { ++counts[v]; }
  std::size_t of(Verdict v) const {
    const auto it = counts.find(v);
    return it == counts.end() ? 0 : it->second;
  }
  std::size_t failed() const { return of(Verdict::fail) + of(Verdict::error) + of(Verdict::xpass); }
};

std::string totals(const Tally& t, std::size_t n) {
  std::ostringstream s;
  s << n << (n == 1 ? " run: " : " runs: ") << t.of(Verdict::pass) << " passed, "
    << t.of(Verdict::fail) << " failed, " << t.of(Verdict::error) << " errors, "
    << t.of(Verdict::skip) << " skipped, " << t.of(Verdict::xfail) << " xfail, "
    << t.of(Verdict::xpass) << " xpass";
  return s.str();
}

// A pcap per scenario run under --out: <out>/<id>/capture.pcap (capture-<n>.pcap for repeats).
// One that cannot be written makes that scenario an ERROR (the runner's harness trouble).
run::CaptureFactory captures_under(const std::string& out, unsigned repeat) {
  if (out.empty()) return {};
  return
      [out, repeat](const run::Scenario& s, unsigned repetition) -> std::unique_ptr<CaptureSink> {
        const std::filesystem::path dir = std::filesystem::path(out) / s.id;
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        const std::string name =
            repeat > 1 ? "capture-" + std::to_string(repetition + 1) + ".pcap" : "capture.pcap";
        auto writer = captures::PcapWriter::open((dir / name).string());
        if (!writer) throw std::runtime_error("--out: " + writer.error().to_string());
        return std::move(*writer);
      };
}

// The live progress line of a terminal: redrawn when a result comes and once a second between,
// so that the elapsed time moves during a long scenario.
class ProgressLine {
 public:
  ProgressLine(std::ostream& out, std::size_t total, std::chrono::steady_clock::time_point started)
      : out_(out), started_(started), total_(total) {
    ticker_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!done_) {
        if (cv_.wait_for(lock, std::chrono::seconds(1), [&] { return done_; })) break;
        if (done_runs_ < total_) draw();
      }
    });
  }
  ~ProgressLine() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    ticker_.join();
  }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // A finished run: its lines above the progress line (for what did not pass), then the line.
  void result(const ScenarioRun& r, unsigned repeat, std::size_t done, std::size_t passed,
              std::size_t failed) {
    std::lock_guard lock(mu_);
    out_ << "\r\033[K";
    if (r.verdict != Verdict::pass) print_result(out_, r, repeat);
    done_runs_ = done;
    passed_ = passed;
    failed_ = failed;
    draw();
    if (done == total_) out_ << '\n' << std::flush;
  }

 private:
  void draw() {  // mu_ held
    out_ << "\r\033[K[" << done_runs_ << '/' << total_ << "] " << passed_ << " passed, " << failed_
         << " failed, " << seconds_text(std::chrono::steady_clock::now() - started_) << std::flush;
  }

  std::ostream& out_;
  const std::chrono::steady_clock::time_point started_;
  const std::size_t total_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::size_t done_runs_ = 0, passed_ = 0, failed_ = 0;
  std::thread ticker_;
};

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

  out << "rpcfit run: " << chosen.size() << " scenario(s)";
  if (settings.repeat > 1) out << " x " << settings.repeat;
  out << ", seed " << settings.seed << ", -j " << settings.jobs << ", time scale "
      << settings.time_scale << '\n';
  out.flush();

  inproc::InprocDriver driver;
  run::Runner runner(driver, settings, captures_under(o.out, settings.repeat));
  Tally tally;
  const auto started = std::chrono::steady_clock::now();
  std::optional<ProgressLine> line;
  if (o.progress) line.emplace(out, chosen.size() * settings.repeat, started);
  auto progress = [&](const ScenarioRun& r, std::size_t done, std::size_t) {
    tally.add(r.verdict);
    if (line) {
      line->result(r, settings.repeat, done, tally.of(Verdict::pass), tally.failed());
    } else {
      print_result(out, r, settings.repeat);
      out.flush();
    }
  };
  const auto runs = runner.run_all(chosen, progress);
  line.reset();
  const auto elapsed = std::chrono::steady_clock::now() - started;

  if (tally.failed() > 0) {
    out << "\nFailures:\n";
    // The replay: each failing scenario's file once (a file holds one scenario, and a scenario's
    // seed derives from the run's seed and its id), with the seed, repetitions and scales.
    std::string files;
    std::set<std::string> replayed;
    for (const auto& r : runs) {
      if (!run::fails_run(r.verdict)) continue;
      out << "  " << run::verdict_name(r.verdict) << ' ' << run_label(r, settings.repeat) << " ("
          << run::to_string(r.scenario->loc) << ")\n";
      if (!r.reason.empty()) out << "      " << r.reason << '\n';
      for (const auto& m : r.mismatches)
        out << "      " << run::to_string(m) << '\n';
      if (replayed.insert(r.scenario->loc.file).second)
        files += ' ' + shell_word(r.scenario->loc.file);
    }
    out << "Replay: rpcfit run" << files << " --seed " << settings.seed;
    if (settings.repeat > 1) out << " --repeat " << settings.repeat;
    if (settings.time_scale != 1.0) out << " --time-scale " << number_text(settings.time_scale);
    if (settings.tolerance_scale != 1.0)
      out << " --tolerance-scale " << number_text(settings.tolerance_scale);
    out << '\n';
  }
  out << totals(tally, runs.size()) << " in " << seconds_text(elapsed) << " (seed " << settings.seed
      << ")\n";
  return tally.failed() > 0 ? 1 : 0;
}

}  // namespace rpcfit::cli
