#include "harness/cli/run_console.h"

#include <cstdio>
#include <sstream>

#include "reports/from_run.h"
#include "reports/report.h"

namespace rpcfit::cli {
namespace {

using run::ScenarioRun;
using run::Verdict;

constexpr std::size_t kDiffLines = 40;

std::string run_label(const ScenarioRun& r, unsigned repeat) {
  std::string label = r.scenario->id;
  if (repeat > 1) label += " #" + std::to_string(r.repetition + 1);
  return label;
}

void print_diff(std::ostream& out, const std::optional<run::CaptureCheck>& check, const char* what,
                const std::string& indent) {
  if (!check || check->status != "differs") return;
  out << indent << what << " " << check->path << " against " << check->golden << ":\n";
  for (std::size_t i = 0; i < check->diff.size() && i < kDiffLines; ++i)
    out << indent << "  " << check->diff[i] << '\n';
  if (check->diff.size() > kDiffLines) {
    out << indent << "  ... " << check->diff.size() - kDiffLines
        << " more line(s) in report.html\n";
  }
}

}  // namespace

std::string seconds_text(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", std::chrono::duration<double>(d).count());
  return buf;
}

void print_result(std::ostream& out, const ScenarioRun& r, unsigned repeat) {
  char verdict[8];
  std::snprintf(verdict, sizeof verdict, "%-6s", std::string(run::verdict_name(r.verdict)).c_str());
  out << verdict << ' ' << run_label(r, repeat) << "  " << seconds_text(r.wall) << '\n';
  const std::string indent = "       ";
  for (std::size_t i = 0; i < r.retried.size(); ++i)
    out << indent << reports::retry_line(reports::retry_of(r.retried[i]), i, r.retried.size() + 1)
        << '\n';
  if (r.verdict == Verdict::pass) return;
  if (!r.reason.empty()) out << indent << r.reason << '\n';
  if (r.verdict == Verdict::fail || r.verdict == Verdict::xfail) {
    for (const auto& m : r.mismatches)
      out << indent << run::to_string(m) << '\n';
    print_diff(out, r.capture, "capture", indent);
    print_diff(out, r.live, "live capture", indent);
  }
  if (!r.observed.faults_injected.empty()) {
    out << indent << "faults injected: " << r.observed.faults_injected << " (fault seed "
        << r.observed.fault_seed << ")\n";
  }
}

std::size_t Tally::of(Verdict v) const {
  const auto it = counts.find(v);
  return it == counts.end() ? 0 : it->second;
}

std::size_t Tally::failed() const {
  return of(Verdict::fail) + of(Verdict::error) + of(Verdict::xpass);
}

std::string totals(const Tally& t, std::size_t n) {
  std::ostringstream s;
  s << n << (n == 1 ? " run: " : " runs: ") << t.of(Verdict::pass) << " passed, "
    << t.of(Verdict::fail) << " failed, " << t.of(Verdict::error) << " errors, "
    << t.of(Verdict::skip) << " skipped, " << t.of(Verdict::xfail) << " xfail, "
    << t.of(Verdict::xpass) << " xpass";
  return s.str();
}

namespace {

// How much of an agent's stderr the failure summary shows.
constexpr std::size_t kLogLines = 8;

// The last `n` lines of `text`, without their newlines.
std::vector<std::string> last_lines(const std::string& text, std::size_t n) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (lines.size() > n) lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(n));
  return lines;
}

}  // namespace

void print_failures(std::ostream& out, const std::vector<ScenarioRun>& runs,
                    const run::RunSettings& settings) {
  out << "\nFailures:\n";
  // Each failing scenario's file once (a file holds one scenario, and a scenario's seed derives
  // from the run's seed and its id).
  std::vector<std::string> files;
  for (const auto& r : runs) {
    if (!run::fails_run(r.verdict)) continue;
    out << "  " << run::verdict_name(r.verdict) << ' ' << run_label(r, settings.repeat) << " ("
        << run::to_string(r.scenario->loc) << ")\n";
    if (!r.reason.empty()) out << "      " << r.reason << '\n';
    for (const auto& m : r.mismatches)
      out << "      " << run::to_string(m) << '\n';
    if (!r.log.empty()) {
      out << "      the agent's stderr, its last lines (all of it in the reports):\n";
      for (const std::string& line : last_lines(r.log, kLogLines))
        out << "        | " << line << '\n';
    }
    files.push_back(r.scenario->loc.file);
  }
  out << "Replay: "
      << reports::replay_command(files, settings.seed, settings.repeat, settings.time_scale,
                                 settings.tolerance_scale)
      << '\n';
}

ProgressLine::ProgressLine(std::ostream& out, std::size_t total,
                           std::chrono::steady_clock::time_point started)
    : out_(out), started_(started), total_(total) {
  ticker_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!done_) {
      if (cv_.wait_for(lock, std::chrono::seconds(1), [&] { return done_; })) break;
      if (done_runs_ < total_) draw();
    }
  });
}

ProgressLine::~ProgressLine() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  ticker_.join();
}

void ProgressLine::result(const ScenarioRun& r, unsigned repeat, std::size_t done,
                          std::size_t passed, std::size_t failed) {
  std::lock_guard lock(mu_);
  out_ << "\r\033[K";
  if (r.verdict != Verdict::pass) print_result(out_, r, repeat);
  done_runs_ = done;
  passed_ = passed;
  failed_ = failed;
  draw();
  if (done == total_) out_ << '\n' << std::flush;
}

void ProgressLine::draw() {
  out_ << "\r\033[K[" << done_runs_ << '/' << total_ << "] " << passed_ << " passed, " << failed_
       << " failed, " << seconds_text(std::chrono::steady_clock::now() - started_) << std::flush;
}

}  // namespace rpcfit::cli
