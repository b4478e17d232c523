#include "reports/junit.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "reports/escape.h"

namespace rpcfit::reports {
namespace {

// ---- text ----

std::string attr(std::string_view name, std::string_view value) {
  std::string out = " ";
  out += name;
  out += "=\"";
  out += xml_attribute(value);
  out += '"';
  return out;
}

// Messages are shown on one line by every reader; the full text is in the element's body.
std::string one_line(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += ch == '\n' || ch == '\r' ? ' ' : ch;
  }
  return out;
}

std::string fixed3(double value) {
  char buf[512];  // wide enough for any finite double in %f
  std::snprintf(buf, sizeof buf, "%.3f", value);
  return buf;
}

// Durations from a hand-made or merged report may be negative or not a number; xs:decimal
// accepts neither, so they count as zero.
double duration_ms(double ms) {
  return ms > 0 && std::isfinite(ms) ? ms : 0;
}

std::string seconds(double ms) {
  return fixed3(duration_ms(ms) / 1000);
}

// The shortest text that reads back as `value`, so that a replay uses the same scale.
std::string number(double value) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// Whether `text` is an xs:dateTime of the form started_at has ("2026-12-06T04:27:09Z", with an
// optional fraction and offset); anything else is left out rather than failing the readers that
// parse the timestamp.
bool is_datetime(std::string_view text) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  if (text.size() < kShape.size()) return false;
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return false;
  }
  std::string_view rest = text.substr(kShape.size());
  if (rest.starts_with('.')) {
    std::size_t n = 1;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9')
      ++n;
    if (n == 1) return false;
    rest.remove_prefix(n);
  }
  if (rest.empty() || rest == "Z") return true;
  return rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
         std::isdigit(static_cast<unsigned char>(rest[1])) &&
         std::isdigit(static_cast<unsigned char>(rest[2])) &&
         std::isdigit(static_cast<unsigned char>(rest[4])) &&
         std::isdigit(static_cast<unsigned char>(rest[5]));
}

// ---- verdicts ----

enum class Verdict { kPass, kFail, kError, kSkip, kXfail, kXpass };

// A verdict this rpcfit does not know (only a hand-made report has one) is an error: it must
// not pass silently.
Verdict verdict_of(std::string_view text) {
  if (text == "PASS") return Verdict::kPass;
  if (text == "FAIL") return Verdict::kFail;
  if (text == "SKIP") return Verdict::kSkip;
  if (text == "XFAIL") return Verdict::kXfail;
  if (text == "XPASS") return Verdict::kXpass;
  return Verdict::kError;
}

struct Counts {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  double wall_ms = 0;

  void add(const ScenarioResult& s) {
    ++tests;
    wall_ms += duration_ms(s.wall_ms);
    switch (verdict_of(s.verdict)) {
      case Verdict::kPass:
        break;
      case Verdict::kFail:
      case Verdict::kXpass:
        ++failures;
        break;
      case Verdict::kError:
        ++errors;
        break;
      case Verdict::kSkip:
      case Verdict::kXfail:
        ++skipped;
        break;
    }
  }
};

std::string count_attributes(const Counts& c) {
  return attr("tests", std::to_string(c.tests)) + attr("failures", std::to_string(c.failures)) +
         attr("errors", std::to_string(c.errors)) + attr("skipped", std::to_string(c.skipped));
}

struct Suite {
  std::string area;
  std::vector<const ScenarioResult*> cases;
  Counts counts;
};

std::vector<Suite> suites_of(const RunReport& report) {
  std::vector<Suite> suites;
  for (const ScenarioResult& s : report.scenarios) {
    Suite* suite = nullptr;
    for (Suite& candidate : suites)
      if (candidate.area == s.area) suite = &candidate;
    if (suite == nullptr) suite = &suites.emplace_back(Suite{s.area, {}, {}});
    suite->cases.push_back(&s);
    suite->counts.add(s);
  }
  return suites;
}

std::string class_name(const std::string& area) {
  return area.empty() ? "rpcfit" : "rpcfit." + area;
}

// ---- one testcase ----

// The line of the first mismatch when it is in the scenario's file ("<file>:12:7"), for the
// reporters that annotate it.
std::optional<unsigned long> mismatch_line_number(const ScenarioResult& s) {
  if (s.mismatches.empty() || s.file.empty()) return std::nullopt;
  const std::string& location = s.mismatches.front().location;
  if (!location.starts_with(s.file + ":")) return std::nullopt;
  const char* first = location.data() + s.file.size() + 1;
  const char* last = location.data() + location.size();
  unsigned long line = 0;
  const auto [end, ec] = std::from_chars(first, last, line);
  if (ec != std::errc{} || line == 0 || (end != last && *end != ':')) return std::nullopt;
  return line;
}

bool differs(const std::optional<CaptureCheck>& check) {
  return check && check->status == "differs";
}

void append_diff(std::string& out, const char* what, const CaptureCheck& check) {
  out += what;
  out +=
      " differs from " + (check.golden.empty() ? std::string("its golden") : check.golden) + ":\n";
  for (const auto& line : check.diff)
    out += line + "\n";
}

std::string fail_message(const ScenarioResult& s) {
  if (!s.mismatches.empty()) return mismatch_summary(s.mismatches.front());
  if (differs(s.capture)) return "capture differs from its golden";
  if (differs(s.live_capture)) return "live capture differs from the runtime's";
  return s.reason.empty() ? "failed" : s.reason;
}

std::string fail_body(const ScenarioResult& s) {
  std::string out;
  for (const Mismatch& m : s.mismatches)
    out += mismatch_line(m) + "\n";
  if (differs(s.capture)) append_diff(out, "capture", *s.capture);
  if (differs(s.live_capture)) append_diff(out, "live capture", *s.live_capture);
  return out;
}

std::string error_reason(const ScenarioResult& s) {
  if (s.verdict == "ERROR") return s.reason;
  const std::string unknown = "unknown verdict \"" + s.verdict + "\"";
  return s.reason.empty() ? unknown : unknown + ": " + s.reason;
}

void append_element(std::string& out, const char* name, std::string_view message, const char* type,
                    std::string_view body) {
  out += "      <";
  out += name;
  out += attr("message", one_line(message)) + attr("type", type) + ">";
  out += xml_text(body);
  out += "</";
  out += name;
  out += ">\n";
}

void append_skipped(std::string& out, std::string_view message, const char* type) {
  out += "      <skipped" + attr("message", one_line(message));
  if (type != nullptr) out += attr("type", type);
  out += "/>\n";
}

void append_outcome(std::string& out, const ScenarioResult& s) {
  switch (verdict_of(s.verdict)) {
    case Verdict::kPass:
      return;
    case Verdict::kFail:
      return append_element(out, "failure", fail_message(s), "FAIL", fail_body(s));
    case Verdict::kError: {
      const std::string reason = error_reason(s);
      return append_element(out, "error", reason, "ERROR", reason);
    }
    case Verdict::kSkip:
      return append_skipped(out, s.reason, nullptr);
    case Verdict::kXfail:
      return append_skipped(out, "xfail: " + s.reason, "xfail");
    case Verdict::kXpass:
      return append_element(out, "failure", "XPASS: " + s.reason, "XPASS", s.reason);
  }
}

// ---- system-out: what a reader needs to reproduce and understand the run ----

std::string ms(double at) {
  return fixed3(at) + " ms";
}

void append_faults(std::string& out, const ScenarioResult& s) {
  if (s.faults.empty() && s.injected.empty()) return;
  out += "faults: " + (s.faults.empty() ? std::string("(none)") : joined(s.faults, "; ")) +
         " (fault seed " + std::to_string(s.fault_seed) + ")\n";
  std::string injected;
  for (const auto& [kind, count] : s.injected)
    injected += (injected.empty() ? "" : ", ") + kind + "=" + std::to_string(count);
  out += "injected: " + (injected.empty() ? std::string("none") : injected) + "\n";
}

std::string call_outcome(const CallResult& c) {
  if (!c.started) return "not started";
  if (!c.ended) return "did not end";
  std::string out =
      (c.status.empty() ? std::string("returned") : c.status) + " at " + ms(c.ended_ms);
  if (!c.detail.empty()) out += " (" + c.detail + ")";
  return out;
}

void append_calls(std::string& out, const ScenarioResult& s) {
  if (s.calls.empty()) return;
  out += "calls:\n";
  for (const CallResult& c : s.calls)
    out += "  " + c.id + (c.async ? " (async)" : "") + ": " + call_outcome(c) + "\n";
}

void append_wire(std::string& out, const ScenarioResult& s) {
  if (s.wire.empty()) return;
  out += "wire:\n";
  char at[512];
  for (const WireLine& w : s.wire) {
    std::snprintf(at, sizeof at, "  %9.3f ms  ", w.at_ms);
    out += at;
    out += w.out ? "->  " : "<-  ";
    out += w.text + "\n";
  }
}

std::string server_call_line(const ServerCall& c) {
  std::string out =
      "  call " + std::to_string(c.call_id) + " opnum " + std::to_string(c.opnum) + ":";
  for (std::size_t i = 0; i < c.events.size(); ++i) {
    const ServerEvent& e = c.events[i];
    out += (i == 0 ? " " : ", ") + e.kind + " " + ms(e.at_ms);
    if (!e.detail.empty()) out += " (" + e.detail + ")";
  }
  if (c.result) out += "; result " + *c.result;
  if (c.fault_status) out += " " + *c.fault_status;
  return out + "\n";
}

void append_server_calls(std::string& out, const ScenarioResult& s) {
  if (s.server_calls.empty()) return;
  out += "server calls:\n";
  for (const ServerCall& c : s.server_calls)
    out += server_call_line(c);
}

// The diff of a FAIL is in its <failure> body already.
void append_capture(std::string& out, const char* what, const std::optional<CaptureCheck>& check,
                    bool with_diff) {
  if (!check) return;
  out += std::string(what) + ": " + check->status + " (" + std::to_string(check->pdus) + " PDUs";
  if (!check->golden.empty()) out += "; golden " + check->golden;
  if (!check->detail.empty()) out += "; " + check->detail;
  out += ")\n";
  if (with_diff) {
    for (const auto& line : check->diff)
      out += line + "\n";
  }
}

std::string system_out(const ScenarioResult& s) {
  const Verdict verdict = verdict_of(s.verdict);
  std::string out;
  if (!s.title.empty()) out += "title: " + s.title + "\n";
  out += "rules: " + joined(s.rules, ", ") + "\n";
  out += "protseq: " + s.protseq + "\n";
  out += "seed: " + std::to_string(s.seed) + "\n";
  append_faults(out, s);
  for (std::size_t i = 0; i < s.retried.size(); ++i)
    out += retry_line(s.retried[i], i, s.retried.size() + 1) + "\n";
  if (verdict == Verdict::kXfail && !s.mismatches.empty()) {
    out += "mismatches (expected failure: " + s.reason + "):\n";
    for (const Mismatch& m : s.mismatches)
      out += "  " + mismatch_line(m) + "\n";
  }
  append_calls(out, s);
  append_wire(out, s);
  append_server_calls(out, s);
  const bool diff_here = verdict != Verdict::kFail;
  append_capture(out, "capture", s.capture, diff_here);
  append_capture(out, "live capture", s.live_capture, diff_here);
  return out;
}

void append_testcase(std::string& out, const ScenarioResult& s, unsigned repeat) {
  out += "    <testcase" + attr("name", s.label(repeat)) + attr("classname", class_name(s.area)) +
         attr("time", seconds(s.wall_ms));
  if (!s.file.empty()) out += attr("file", s.file);
  if (const auto line = mismatch_line_number(s)) out += attr("line", std::to_string(*line));
  out += ">\n";
  append_outcome(out, s);
  out += "      <system-out>" + xml_text(system_out(s)) + "</system-out>\n";
  if (!s.log.empty()) out += "      <system-err>" + xml_text(s.log) + "</system-err>\n";
  out += "    </testcase>\n";
}

// ---- the document ----

void append_properties(std::string& out, const RunReport& report) {
  const std::pair<const char*, std::string> properties[] = {
      {"seed", std::to_string(report.seed)},
      {"time_scale", number(report.settings.time_scale)},
      {"tolerance_scale", number(report.settings.tolerance_scale)},
      {"tool_version", report.tool_version},
      {"driver", report.driver},
  };
  out += "    <properties>\n";
  for (const auto& [name, value] : properties)
    out += "      <property" + attr("name", name) + attr("value", value) + "/>\n";
  // Who played each role: "client.driver", "client.command", "client.implementation", ...
  for (const Target& t : report.targets) {
    const std::pair<const char*, std::string> fields[] = {
        {"driver", t.driver},
        {"command", t.command},
        {"implementation", t.implementation},
        {"version", t.version},
        {"protocol", std::to_string(t.protocol)},
    };
    for (const auto& [name, value] : fields) {
      out += "      <property" + attr("name", t.role + "." + name) + attr("value", value) + "/>\n";
    }
  }
  out += "    </properties>\n";
}

void append_suite(std::string& out, const Suite& suite, const RunReport& report, bool first) {
  out += "  <testsuite" + attr("name", class_name(suite.area)) + count_attributes(suite.counts) +
         attr("time", seconds(suite.counts.wall_ms));
  if (is_datetime(report.started_at)) out += attr("timestamp", report.started_at);
  out += ">\n";
  if (first) append_properties(out, report);
  for (const ScenarioResult* s : suite.cases)
    append_testcase(out, *s, report.settings.repeat);
  out += "  </testsuite>\n";
}

}  // namespace

std::string junit_xml(const RunReport& report) {
  Counts totals;
  for (const ScenarioResult& s : report.scenarios)
    totals.add(s);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites" + attr("name", "rpcfit") + count_attributes(totals) +
         attr("time", seconds(report.wall_ms)) + ">\n";
  const std::vector<Suite> suites = suites_of(report);
  for (std::size_t i = 0; i < suites.size(); ++i)
    append_suite(out, suites[i], report, i == 0);
  out += "</testsuites>\n";
  return out;
}

}  // namespace rpcfit::reports
