#include "reports/markdown.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>
#include <string_view>
#include <vector>

#include "reports/escape.h"

namespace rpcfit::reports {
namespace {

// "client: agent `python3 a.py` (impl 1, protocol 1)": the command as a code span, fenced with
// more backticks than it holds.
std::string target_line(const Target& t) {
  if (t.command.empty()) return markdown_inline(t.line());
  std::size_t run = 0, longest = 0;
  for (const char c : t.command) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(longest + 1, '`');
  std::string text =
      markdown_inline(t.role + ": " + t.driver + " ") + fence + " " + t.command + " " + fence;
  if (!t.implementation.empty()) {
    text += markdown_inline(" (" + t.implementation + " " + t.version + ", protocol " +
                            std::to_string(t.protocol) + ")");
  }
  return text;
}

// GitHub refuses a step summary over 1 MiB; these keep a run with thousands of failures well
// under it while showing enough to start on.
constexpr std::size_t kMaxTableRows = 100;
constexpr std::size_t kMaxDetails = 50;
constexpr std::size_t kMaxDetailLines = 200;

// ---- code blocks ----

// A fenced code block shows its text as is; only a fence longer than any run of backticks in it
// keeps a line of the text from closing the block.
std::string fenced(std::string_view raw, std::string_view info) {
  const std::string text = printable_utf8(raw);
  std::size_t longest = 0, run = 0;
  for (const char ch : text) {
    run = ch == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  std::string out = fence;
  out += info;
  out += "\n" + text;
  if (!text.empty() && !text.ends_with('\n')) out += "\n";
  return out + fence + "\n";
}

// ---- numbers and words ----

// The shortest text that reads back as `value`, so that a replay uses the same scale.
std::string number(double value) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

std::string seconds(double ms) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.2fs", ms > 0 ? ms / 1000 : 0.0);
  return buf;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

// FAIL, ERROR, XPASS, and a verdict this rpcfit does not know (only a hand-made report has one:
// it must not pass silently).
bool fails(const ScenarioResult& s) {
  return s.verdict != "PASS" && s.verdict != "SKIP" && s.verdict != "XFAIL";
}

bool differs(const std::optional<CaptureCheck>& check) {
  return check && check->status == "differs";
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// "scenarios/x.yaml:12:7" -> "scenarios/x.yaml:12": the column is noise in a table.
std::string without_column(const std::string& location) {
  const auto last = location.rfind(':');
  if (last == std::string::npos || last == 0 || !all_digits(location.substr(last + 1))) {
    return location;
  }
  const auto before = location.rfind(':', last - 1);
  if (before == std::string::npos || !all_digits(location.substr(before + 1, last - before - 1))) {
    return location;
  }
  return location.substr(0, last);
}

// ---- sections ----

std::string headline(const RunReport& report) {
  const bool failed = std::any_of(report.scenarios.begin(), report.scenarios.end(), fails);
  return std::string("## rpcfit: ") + (failed ? "**FAILED**" : "**PASSED**") + "\n\n";
}

// The line `rpcfit run` ends with.
std::string totals_line(const RunReport& report) {
  const Totals t = report.totals();
  return std::to_string(t.runs) + (t.runs == 1 ? " run: " : " runs: ") + std::to_string(t.passed) +
         " passed, " + std::to_string(t.failed) + " failed, " + std::to_string(t.errors) +
         " errors, " + std::to_string(t.skipped) + " skipped, " + std::to_string(t.xfail) +
         " xfail, " + std::to_string(t.xpass) + " xpass in " + seconds(report.wall_ms) + "\n\n";
}

std::string settings_line(const RunReport& report) {
  const RunSettings& st = report.settings;
  std::string out = "Seed `" + std::to_string(report.seed) + "` · time scale " +
                    number(st.time_scale) + " · tolerance scale " + number(st.tolerance_scale) +
                    " · repeat " + std::to_string(st.repeat) + " · jobs " + std::to_string(st.jobs);
  const std::pair<const char*, std::string> optional[] = {
      {"paths", joined(st.paths)},
      {"filters", joined(st.filters)},
      {"excludes", joined(st.excludes)},
      {"tags", joined(st.tags)},
      {"level", st.level},
      {"shard", st.shard},
  };
  for (const auto& [name, value] : optional) {
    if (!value.empty()) out += std::string(" · ") + name + " " + markdown_inline(value);
  }
  if (st.fail_fast) out += " · fail-fast";
  out += " · driver " + markdown_inline(report.driver) + " · rpcfit " +
         markdown_inline(report.tool_version);
  if (!report.started_at.empty()) out += " · started " + markdown_inline(report.started_at);
  out += "\n\n";
  for (const Target& t : report.targets)
    out += "- " + target_line(t) + "\n";
  return report.targets.empty() ? out : out + "\n";
}

// What `rpcfit run` prints as its replay line: each failing scenario's file once, the seed and
// the scales.
std::string replay(const RunReport& report) {
  std::vector<std::string> files;
  for (const ScenarioResult& s : report.scenarios) {
    if (fails(s)) files.push_back(s.file);
  }
  if (files.empty()) return "";
  const RunSettings& st = report.settings;
  const std::string command =
      replay_command(files, report.seed, st.repeat, st.time_scale, st.tolerance_scale);
  return "Replay the failing scenarios:\n\n" + fenced(command, "sh") + "\n";
}

std::string first_problem(const ScenarioResult& s) {
  if (s.verdict == "FAIL" && !s.mismatches.empty()) {
    std::string out = mismatch_summary(s.mismatches.front());
    if (s.mismatches.size() > 1) out += " (+" + std::to_string(s.mismatches.size() - 1) + " more)";
    return out;
  }
  if (s.verdict == "FAIL" && differs(s.capture)) return "capture differs from its golden";
  return s.reason;
}

std::string where(const ScenarioResult& s) {
  return s.mismatches.empty() ? s.file : without_column(s.mismatches.front().location);
}

std::string left_out(std::size_t n, const char* what) {
  return "_" + std::to_string(n) + " more " + what + " not shown; report.json has them all._\n\n";
}

// Failing runs first (what to fix), then the expected failures and skips, each in run order.
std::string not_passing_table(const RunReport& report) {
  std::vector<const ScenarioResult*> rows;
  for (const ScenarioResult& s : report.scenarios)
    if (s.verdict != "PASS") rows.push_back(&s);
  if (rows.empty()) return "";
  std::stable_partition(rows.begin(), rows.end(),
                        [](const ScenarioResult* s) { return fails(*s); });
  std::string out = "### Not passing (" + std::to_string(rows.size()) + ")\n\n";
  out += "| verdict | scenario | first mismatch or reason | where |\n|---|---|---|---|\n";
  const unsigned repeat = report.settings.repeat;
  for (std::size_t i = 0; i < rows.size() && i < kMaxTableRows; ++i) {
    const ScenarioResult& s = *rows[i];
    out += "| " + markdown_inline(s.verdict) + " | " + markdown_inline(s.label(repeat)) + " | " +
           markdown_inline(first_problem(s)) + " | " + markdown_inline(where(s)) + " |\n";
  }
  out += "\n";
  if (rows.size() > kMaxTableRows) out += left_out(rows.size() - kMaxTableRows, "runs are");
  return out;
}

std::string capped_lines(const std::string& text) {
  std::size_t lines = 0, pos = 0;
  while (pos < text.size() && lines < kMaxDetailLines) {
    const auto nl = text.find('\n', pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++lines;
  }
  if (pos >= text.size()) return text;
  const auto rest =
      static_cast<std::size_t>(std::count(text.begin() + static_cast<long>(pos), text.end(), '\n'));
  return text.substr(0, pos) + "... " + std::to_string(rest) +
         " more lines; report.json has them all\n";
}

void append_diff(std::string& out, const char* what, const CaptureCheck& check) {
  out += std::string(what) + " differs from " +
         (check.golden.empty() ? std::string("its golden") : check.golden) + ":\n";
  for (const auto& line : check.diff)
    out += line + "\n";
}

std::string detail_text(const ScenarioResult& s) {
  std::string out = s.file + " · " + s.protseq + " · seed " + std::to_string(s.seed) + "\n";
  if (!s.faults.empty()) {
    out += "faults: " + joined(s.faults) + " (fault seed " + std::to_string(s.fault_seed) + ")\n";
  }
  out += "\n";
  if (!s.reason.empty()) out += s.reason + "\n";
  for (const Mismatch& m : s.mismatches)
    out += mismatch_line(m) + "\n";
  if (differs(s.capture)) append_diff(out, "capture", *s.capture);
  if (differs(s.live_capture)) append_diff(out, "live capture", *s.live_capture);
  return capped_lines(out);
}

std::string detail_section(const ScenarioResult& s, unsigned repeat) {
  std::string summary = s.verdict + " " + s.label(repeat);
  if (!s.mismatches.empty()) {
    summary += ": " + std::to_string(s.mismatches.size()) +
               (s.mismatches.size() == 1 ? " mismatch" : " mismatches");
  }
  if (differs(s.capture))
    summary += s.mismatches.empty() ? ": capture differs" : ", capture differs";
  // The blank lines let GitHub and GitLab parse the Markdown inside the HTML block.
  return "<details><summary>" + markdown_html_text(summary) + "</summary>\n\n" +
         fenced(detail_text(s), "text") + "\n</details>\n\n";
}

std::string details(const RunReport& report) {
  std::string out;
  std::size_t failing = 0;
  for (const ScenarioResult& s : report.scenarios) {
    if (!fails(s)) continue;
    if (failing == 0) out += "### Failures\n\n";
    if (failing < kMaxDetails) out += detail_section(s, report.settings.repeat);
    ++failing;
  }
  if (failing > kMaxDetails) out += left_out(failing - kMaxDetails, "failing runs are");
  return out;
}

struct AreaRow {
  std::string area;
  std::size_t runs = 0, passed = 0, failing = 0;
};

std::string area_table(const RunReport& report) {
  std::vector<AreaRow> rows;
  for (const ScenarioResult& s : report.scenarios) {
    auto it = std::find_if(rows.begin(), rows.end(),
                           [&](const AreaRow& row) { return row.area == s.area; });
    if (it == rows.end()) it = rows.insert(rows.end(), AreaRow{s.area});
    ++it->runs;
    if (s.verdict == "PASS") ++it->passed;
    if (fails(s)) ++it->failing;
  }
  if (rows.empty()) return "";
  std::string out = "### By area\n\n| area | runs | passed | failing |\n|---|---:|---:|---:|\n";
  for (const AreaRow& row : rows) {
    out += "| " + (row.area.empty() ? std::string("(none)") : markdown_inline(row.area)) + " | " +
           std::to_string(row.runs) + " | " + std::to_string(row.passed) + " | " +
           std::to_string(row.failing) + " |\n";
  }
  return out;
}

// The runs played again because an attempt failed while the machine stalled: a reader judging the
// verdicts needs to know the machine was busy.
std::string retried_table(const RunReport& report) {
  std::vector<const ScenarioResult*> rows;
  for (const ScenarioResult& s : report.scenarios)
    if (!s.retried.empty()) rows.push_back(&s);
  if (rows.empty()) return "";
  std::string out = "### Played again after a stall (" + std::to_string(rows.size()) + ")\n\n";
  out += "| scenario | verdict | attempts | discarded |\n|---|---|---:|---|\n";
  const unsigned repeat = report.settings.repeat;
  for (std::size_t i = 0; i < rows.size() && i < kMaxTableRows; ++i) {
    const ScenarioResult& s = *rows[i];
    const std::size_t attempts = s.retried.size() + 1;
    std::string discarded;
    for (std::size_t a = 0; a < s.retried.size(); ++a)
      discarded += (a ? "; " : "") + retry_line(s.retried[a], a, attempts);
    out += "| " + markdown_inline(s.label(repeat)) + " | " + markdown_inline(s.verdict) + " | " +
           std::to_string(attempts) + " | " + markdown_inline(discarded) + " |\n";
  }
  out += "\n";
  if (rows.size() > kMaxTableRows) out += left_out(rows.size() - kMaxTableRows, "runs are");
  return out;
}

}  // namespace

std::string markdown_summary(const RunReport& report) {
  return headline(report) + totals_line(report) + settings_line(report) + replay(report) +
         not_passing_table(report) + retried_table(report) + details(report) + area_table(report);
}

}  // namespace rpcfit::reports
