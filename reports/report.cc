#include "reports/report.h"

#include <charconv>
#include <cstdio>
#include <set>

#include "harness/core/shell_word.h"
#include "harness/model/verdict.h"

namespace rpcfit::reports {

std::string ScenarioResult::label(unsigned repeat) const {
  if (repeat <= 1) return id;
  return id + " #" + std::to_string(repetition + 1);
}

namespace {

// The shortest text that reads back as `value`, so that a replay uses the same scale.
std::string number_text(double value) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

}  // namespace

std::string mismatch_summary(const Mismatch& m) {
  return m.field + ": expected " + m.expected + ", got " + m.actual;
}

std::string mismatch_line(const Mismatch& m) {
  std::string out = m.location.empty() ? "" : m.location + ": ";
  out += mismatch_summary(m);
  if (!m.detail.empty()) out += " (" + m.detail + ")";
  if (!m.rules.empty()) out += " [" + run::rules_text(m.rules) + "]";
  return out;
}

std::string retry_line(const Retry& retry, std::size_t index, std::size_t attempts) {
  char stall[32];
  std::snprintf(stall, sizeof stall, "%.1fms", retry.stall_ms);
  return "attempt " + std::to_string(index + 1) + " of " + std::to_string(attempts) + ", " +
         retry.verdict + " while the machine stalled for " + stall +
         (retry.reason.empty() ? "" : ": " + retry.reason);
}

std::string replay_command(const std::vector<std::string>& files, std::uint64_t seed,
                           unsigned repeat, double time_scale, double tolerance_scale) {
  std::string command = "rpcfit run";
  std::set<std::string> seen;
  for (const std::string& file : files) {
    if (seen.insert(file).second) command += " " + shell_word(file);
  }
  command += " --seed " + std::to_string(seed);
  if (repeat > 1) command += " --repeat " + std::to_string(repeat);
  if (time_scale != 1.0) command += " --time-scale " + number_text(time_scale);
  if (tolerance_scale != 1.0) command += " --tolerance-scale " + number_text(tolerance_scale);
  return command;
}

bool failing_verdict(std::string_view verdict) {
  return verdict == "FAIL" || verdict == "ERROR" || verdict == "XPASS";
}

Totals RunReport::totals() const {
  Totals t;
  for (const ScenarioResult& s : scenarios) {
    ++t.runs;
    if (s.verdict == "PASS") ++t.passed;
    if (s.verdict == "FAIL") ++t.failed;
    if (s.verdict == "ERROR") ++t.errors;
    if (s.verdict == "SKIP") ++t.skipped;
    if (s.verdict == "XFAIL") ++t.xfail;
    if (s.verdict == "XPASS") ++t.xpass;
  }
  return t;
}

std::string Target::line() const {
  std::string text = role + ": ";
  if (command.empty())
    return text + (implementation.empty() ? "rpcfit" : implementation) +
           (version.empty() ? "" : " " + version) + " (" + driver + ")";
  text += driver + " `" + command + "`";
  if (!implementation.empty()) {
    text += " (" + implementation + " " + version + ", protocol " + std::to_string(protocol) + ")";
  }
  return text;
}

}  // namespace rpcfit::reports
