#include "reports/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace rpcfit::reports {
namespace {

// Runs by label; the label carries the repetition whenever either report repeats.
std::map<std::string, const ScenarioResult*> by_label(const RunReport& r, unsigned repeat) {
  std::map<std::string, const ScenarioResult*> out;
  for (const ScenarioResult& s : r.scenarios)
    out.emplace(s.label(repeat), &s);
  return out;
}

// What a failing run says first: its first mismatch, else its reason.
std::string first_problem(const ScenarioResult& s) {
  if (!s.mismatches.empty()) {
    const Mismatch& m = s.mismatches.front();
    return m.location + ": " + mismatch_summary(m);
  }
  return s.reason;
}

std::string ms_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fms", ms);
  return buf;
}

bool drifted(double before, double after, const DiffOptions& o) {
  const double moved = std::fabs(after - before);
  return moved > o.drift_min_ms && moved > std::fabs(before) * o.drift_percent / 100.0;
}

std::string percent_text(double before, double after) {
  if (before == 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, " (%+.1f%%)", (after - before) / before * 100.0);
  return buf;
}

void timing(const ScenarioResult& before, const ScenarioResult& after, const std::string& label,
            const DiffOptions& o, std::vector<Change>& out) {
  for (const CallResult& b : before.calls) {
    const auto a = std::find_if(after.calls.begin(), after.calls.end(),
                                [&](const CallResult& c) { return c.id == b.id; });
    if (a == after.calls.end() || !a->ended || !b.ended) continue;
    if (!drifted(b.ended_ms, a->ended_ms, o)) continue;
    out.push_back({label, ms_text(b.ended_ms), ms_text(a->ended_ms),
                   "call " + b.id + " ended " + ms_text(b.ended_ms) + " -> " +
                       ms_text(a->ended_ms) + percent_text(b.ended_ms, a->ended_ms)});
  }
  if (drifted(before.wall_ms, after.wall_ms, o)) {
    out.push_back({label, ms_text(before.wall_ms), ms_text(after.wall_ms),
                   "wall time " + ms_text(before.wall_ms) + " -> " + ms_text(after.wall_ms) +
                       percent_text(before.wall_ms, after.wall_ms)});
  }
}

void section(std::ostream& out, const char* title, const std::vector<Change>& changes,
             const std::function<std::string(const Change&)>& line) {
  if (changes.empty()) return;
  out << title << " (" << changes.size() << "):\n";
  for (const Change& c : changes)
    out << "  " << line(c) << '\n';
}

std::string run_text(const RunReport& r, const std::string& name) {
  const Totals t = r.totals();
  std::ostringstream s;
  s << name << " (" << r.started_at << ", " << t.runs << " runs, " << t.failing()
    << " failing, seed " << r.seed << ")";
  return s.str();
}

}  // namespace

bool ReportDiff::regressed() const {
  return !new_failures.empty() || (options.drift_is_regression && !drift.empty()) ||
         (options.capture_change_is_regression && !capture_changes.empty());
}

ReportDiff diff_reports(const RunReport& baseline, const RunReport& now,
                        const DiffOptions& options) {
  ReportDiff diff;
  diff.options = options;
  const unsigned repeat = std::max(baseline.settings.repeat, now.settings.repeat);
  const auto before = by_label(baseline, repeat);
  const auto after = by_label(now, repeat);
  for (const auto& [label, a] : after) {
    const auto it = before.find(label);
    const bool fails = failing_verdict(a->verdict);
    if (it == before.end()) {
      diff.added.push_back({label, "", a->verdict, a->title});
      if (fails) diff.new_failures.push_back({label, "", a->verdict, first_problem(*a)});
      continue;
    }
    const ScenarioResult& b = *it->second;
    const bool failed = failing_verdict(b.verdict);
    if (fails && !failed)
      diff.new_failures.push_back({label, b.verdict, a->verdict, first_problem(*a)});
    if (!fails && failed) diff.fixed.push_back({label, b.verdict, a->verdict, ""});
    if (fails && failed)
      diff.still_failing.push_back({label, b.verdict, a->verdict, first_problem(*a)});
    if (b.verdict == "PASS" && a->verdict == "PASS") timing(b, *a, label, options, diff.drift);
    if (b.capture && a->capture && !b.capture->digest.empty() && !a->capture->digest.empty() &&
        b.capture->digest != a->capture->digest) {
      diff.capture_changes.push_back(
          {label, b.capture->digest, a->capture->digest,
           std::to_string(b.capture->pdus) + " -> " + std::to_string(a->capture->pdus) + " PDUs"});
    }
  }
  for (const auto& [label, b] : before) {
    if (!after.count(label)) diff.removed.push_back({label, b->verdict, "", b->title});
  }
  return diff;
}

std::string to_text(const ReportDiff& diff, const RunReport& baseline, const RunReport& now,
                    const std::string& base_name, const std::string& new_name) {
  std::ostringstream out;
  out << "baseline: " << run_text(baseline, base_name) << '\n'
      << "new:      " << run_text(now, new_name) << '\n';
  auto verdicts = [](const Change& c) {
    std::string text = c.after + "  " + c.label;
    text += c.before.empty() ? "  (new scenario)" : "  (was " + c.before + ")";
    if (!c.detail.empty()) text += "\n      " + c.detail;
    return text;
  };
  section(out, "New failures", diff.new_failures, verdicts);
  section(out, "Fixed", diff.fixed, verdicts);
  section(out, "Still failing", diff.still_failing, verdicts);
  section(out, "Added", diff.added, [](const Change& c) { return c.after + "  " + c.label; });
  section(out, "Removed", diff.removed,
          [](const Change& c) { return c.label + "  (was " + c.before + ")"; });
  char drift_title[96];
  std::snprintf(drift_title, sizeof drift_title, "Timing drift beyond %g%% and %gms",
                diff.options.drift_percent, diff.options.drift_min_ms);
  section(out, drift_title, diff.drift, [](const Change& c) { return c.label + "  " + c.detail; });
  section(out, "Capture changes", diff.capture_changes, [](const Change& c) {
    return c.label + "  " + c.before + " -> " + c.after + " (" + c.detail + ")";
  });
  if (diff.regressed()) {
    out << "REGRESSION: " << diff.new_failures.size() << " new failure(s)";
    if (diff.options.drift_is_regression) out << ", " << diff.drift.size() << " drift(s)";
    if (diff.options.capture_change_is_regression) {
      out << ", " << diff.capture_changes.size() << " capture change(s)";
    }
    out << '\n';
  } else {
    out << "no regression: " << diff.fixed.size() << " fixed, " << diff.still_failing.size()
        << " still failing, " << diff.added.size() << " added, " << diff.removed.size()
        << " removed\n";
  }
  return out.str();
}

Result<RunReport, std::string> merge_reports(const std::vector<RunReport>& reports) {
  if (reports.empty()) return unexpected(std::string("no report to merge"));
  RunReport merged = reports.front();
  merged.scenarios.clear();
  merged.settings.shard.clear();
  std::set<std::string> seen;
  unsigned repeat = 1;
  for (const RunReport& r : reports)
    repeat = std::max(repeat, r.settings.repeat);
  merged.settings.repeat = repeat;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const RunReport& r = reports[i];
    if (r.started_at < merged.started_at) merged.started_at = r.started_at;
    merged.wall_ms = std::max(merged.wall_ms, r.wall_ms);
    for (const ScenarioResult& s : r.scenarios) {
      const std::string label = s.label(repeat);
      if (!seen.insert(label).second) {
        return unexpected("report " + std::to_string(i + 1) + " runs " + label +
                          " again: shards of one run never share a scenario");
      }
      merged.scenarios.push_back(s);
    }
  }
  std::stable_sort(merged.scenarios.begin(), merged.scenarios.end(),
                   [](const ScenarioResult& a, const ScenarioResult& b) {
                     return a.id != b.id ? a.id < b.id : a.repetition < b.repetition;
                   });
  return merged;
}

}  // namespace rpcfit::reports
