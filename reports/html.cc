#include "reports/html.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <set>
#include <string_view>
#include <vector>

#include "reports/html_parts.h"

namespace rpcfit::reports {
namespace html_detail {

std::string format_ms(double ms) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", ms);
  std::string s = buf;
  if (s.find('.') == std::string::npos) return s;
  while (s.back() == '0')
    s.pop_back();
  if (s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string_view verdict_class(std::string_view verdict) {
  for (std::string_view v : {"PASS", "FAIL", "ERROR", "SKIP", "XFAIL", "XPASS"})
    if (verdict == v) return v;
  return "other";
}

}  // namespace html_detail

namespace {

using html_detail::format_ms;
using html_detail::verdict_class;

constexpr std::array<std::string_view, 6> kVerdicts = {"PASS", "FAIL",  "ERROR",
                                                       "SKIP", "XFAIL", "XPASS"};

// A valid, unique id attribute per run: labels hold '/', ' ' and '#', and a report read from JSON
// may hold anything, so everything but [A-Za-z0-9_-] becomes '-'; clashes get a counter.
std::vector<std::string> anchors_of(const RunReport& report) {
  std::vector<std::string> anchors;
  std::set<std::string> seen;
  for (const ScenarioResult& s : report.scenarios) {
    std::string a = "s-";
    for (char c : s.label(report.settings.repeat)) {
      const bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      a += plain ? c : '-';
    }
    std::string unique = a;
    for (int n = 2; !seen.insert(unique).second; ++n)
      unique = a + "-" + std::to_string(n);
    anchors.push_back(unique);
  }
  return anchors;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

// Ids are long paths: on a narrow screen they may wrap, but only after a '/'.
std::string breakable(const std::string& escaped) {
  std::string out;
  for (char c : escaped) {
    out += c;
    if (c == '/') out += "<wbr>";
  }
  return out;
}

std::string badge(std::string_view verdict) {
  return "<span class=\"b b-" + std::string(verdict_class(verdict)) + "\">" + xml_text(verdict) +
         "</span>";
}

std::size_t count_of(const Totals& t, std::string_view verdict) {
  if (verdict == "PASS") return t.passed;
  if (verdict == "FAIL") return t.failed;
  if (verdict == "ERROR") return t.errors;
  if (verdict == "SKIP") return t.skipped;
  if (verdict == "XFAIL") return t.xfail;
  return t.xpass;
}

void setting(std::string& out, std::string_view name, const std::string& value) {
  out += "<div><dt>";
  out += name;
  out += "</dt><dd>" + (value.empty() ? std::string("\u2014") : xml_text(value)) + "</dd></div>";
}

void append_header(std::string& out, const RunReport& r) {
  const Totals t = r.totals();
  const RunSettings& st = r.settings;
  out += "<header class=\"top\"><div class=\"wrap\"><div class=\"headline\"><h1>rpcfit run</h1>";
  out += "<span class=\"outcome " + std::string(t.failing() ? "bad\">" : "good\">") +
         (t.failing() ? std::to_string(t.failing()) + " failing" : std::string("no failures")) +
         "</span></div>";
  out += "<p class=\"sub\">started <b>" + xml_text(r.started_at) + "</b> \u00b7 " +
         xml_text(format_ms(r.wall_ms)) + " ms wall \u00b7 driver <b>" + xml_text(r.driver) +
         "</b> \u00b7 rpcfit " + xml_text(r.tool_version) + "</p>";
  if (!r.targets.empty()) {
    out += "<ul class=\"targets\">";
    for (const Target& target : r.targets)
      out += "<li>" + xml_text(target.line()) + "</li>";
    out += "</ul>";
  }
  out +=
      "<div class=\"totals\"><span class=\"tot\"><b>" + std::to_string(t.runs) + "</b> runs</span>";
  for (std::string_view v : kVerdicts) {
    const std::size_t n = count_of(t, v);
    out += "<span class=\"tot c-" + std::string(v) + (n ? "" : " zero") + "\"><b>" +
           std::to_string(n) + "</b> " + std::string(v) + "</span>";
  }
  out += "</div><dl class=\"settings\">";
  setting(out, "seed", std::to_string(r.seed));
  setting(out, "time scale", format_ms(st.time_scale));
  setting(out, "tolerance scale", format_ms(st.tolerance_scale));
  setting(out, "jobs", std::to_string(st.jobs));
  setting(out, "repeat", std::to_string(st.repeat));
  setting(out, "paths", join(st.paths, " "));
  setting(out, "filters", join(st.filters, " "));
  setting(out, "excludes", join(st.excludes, " "));
  setting(out, "tags", join(st.tags, " "));
  setting(out, "level", st.level);
  setting(out, "shard", st.shard);
  setting(out, "fail fast", st.fail_fast ? "yes" : "no");
  out += "</dl></div></header>\n";
}

// The summary's last column: why a run is not a plain PASS, in one line.
std::string note_of(const ScenarioResult& s) {
  if (!s.mismatches.empty() && (s.verdict == "FAIL" || s.reason.empty())) {
    const Mismatch& m = s.mismatches.front();
    std::string note = "<b>" + xml_text(m.field) + "</b>: expected <code>" + xml_text(m.expected) +
                       "</code>, got <code>" + xml_text(m.actual) + "</code>";
    if (s.mismatches.size() > 1)
      note += " <span class=\"more\">+" + std::to_string(s.mismatches.size() - 1) + "</span>";
    return note;
  }
  return xml_text(s.reason);
}

void append_filters(std::string& out, const RunReport& r) {
  const Totals t = r.totals();
  out +=
      "<div class=\"filters\" id=\"filters\"><input type=\"search\" id=\"f-text\" "
      "placeholder=\"Filter by id, title, rule or tag\" aria-label=\"Filter text\">"
      "<span class=\"f-v\" id=\"f-verdicts\">";
  for (std::string_view v : kVerdicts) {
    out += "<label class=\"fv c-" + std::string(v) + "\"><input type=\"checkbox\" value=\"" +
           std::string(v) + "\" checked>" + std::string(v) + " <small>" +
           std::to_string(count_of(t, v)) + "</small></label>";
  }
  out += "</span><select id=\"f-area\" aria-label=\"Area\"><option value=\"\">all areas</option>";
  std::set<std::string> areas;
  for (const ScenarioResult& s : r.scenarios)
    areas.insert(s.area);
  for (const std::string& a : areas)
    out += "<option value=\"" + xml_attribute(a) + "\">" + xml_text(a) + "</option>";
  out +=
      "</select><label class=\"ff\"><input type=\"checkbox\" id=\"f-failing\"> failing only"
      "</label><span class=\"spacer\"></span><span id=\"f-count\"></span>"
      "<noscript><span class=\"muted\">filters need JavaScript</span></noscript></div>\n";
}

void append_summary(std::string& out, const RunReport& r, const std::vector<std::string>& anchors) {
  out += "<section class=\"summary\"><h2>Runs</h2>";
  append_filters(out, r);
  out +=
      "<div class=\"tw\"><table class=\"runs\" id=\"runs\"><thead><tr><th>verdict</th>"
      "<th>id</th><th class=\"opt\">area</th><th class=\"opt\">protseq</th>"
      "<th class=\"opt\">rules</th><th class=\"num\">wall ms</th>"
      "<th>first mismatch or reason</th></tr></thead><tbody>\n";
  if (r.scenarios.empty())
    out += "<tr><td colspan=\"7\" class=\"muted\">no scenarios ran</td></tr>\n";
  for (std::size_t i = 0; i < r.scenarios.size(); ++i) {
    const ScenarioResult& s = r.scenarios[i];
    const std::string label = s.label(r.settings.repeat);
    // What the text filter searches, lowercased once here rather than on every keystroke.
    std::string haystack =
        label + " " + s.title + " " + join(s.rules, " ") + " " + join(s.tags, " ");
    for (char& c : haystack)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += "<tr data-v=\"" + xml_attribute(s.verdict) + "\" data-a=\"" + xml_attribute(s.area) +
           "\" data-f=\"" + (failing_verdict(s.verdict) ? "1" : "0") + "\" data-id=\"" +
           anchors[i] + "\" data-s=\"" + xml_attribute(haystack) + "\"><td>" + badge(s.verdict) +
           "</td><td class=\"id\"><a href=\"#" + anchors[i] + "\">" + breakable(xml_text(label)) +
           "</a></td><td class=\"opt\">" + xml_text(s.area) + "</td><td class=\"opt\">" +
           xml_text(s.protseq) + "</td><td class=\"opt rules\">" + xml_text(join(s.rules, " ")) +
           "</td><td class=\"num\">" + xml_text(format_ms(s.wall_ms)) + "</td><td class=\"note\">" +
           note_of(s) + "</td></tr>\n";
  }
  out += "</tbody></table></div></section>\n";
}

}  // namespace

std::string html_report(const RunReport& report) {
  const std::vector<std::string> anchors = anchors_of(report);
  std::string out;
  out.reserve(24 * 1024 + report.scenarios.size() * 6 * 1024);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // The report must never reach the network: refuse anything not inline.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
      "<title>rpcfit run " +
      xml_text(report.started_at) + "</title>\n<style>";
  out += html_detail::style_sheet();
  out += "</style>\n</head>\n<body>\n";
  append_header(out, report);
  out += "<main class=\"wrap\">\n";
  append_summary(out, report, anchors);
  out +=
      "<section class=\"scenarios\"><h2>Scenarios<span class=\"tools jsonly\">"
      "<button type=\"button\" id=\"x-open\">expand all</button>"
      "<button type=\"button\" id=\"x-close\">collapse all</button></span></h2>\n";
  for (std::size_t i = 0; i < report.scenarios.size(); ++i) {
    const ScenarioResult& s = report.scenarios[i];
    html_detail::append_scenario_section(out, s, anchors[i], s.label(report.settings.repeat));
  }
  out += "</section>\n</main>\n<script>";
  out += html_detail::script();
  out += "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace rpcfit::reports
