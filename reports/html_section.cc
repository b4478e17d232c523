// One scenario's section of the HTML report (html.h): everything the report holds on one run.
#include <string>
#include <string_view>
#include <vector>

#include "reports/html_parts.h"
#include "reports/sequence_svg.h"

namespace rpcfit::reports::html_detail {
namespace {

std::string code(std::string_view text) {
  return "<code>" + xml_text(text) + "</code>";
}

std::string join_codes(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items)
    out += (out.empty() ? "" : " ") + code(item);
  return out;
}

std::string join_plain(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string ms_cell(bool known, double ms) {
  return known ? "<td class=\"num\">" + xml_text(format_ms(ms)) + "</td>"
               : "<td class=\"num muted\">\u2014</td>";
}

void meta(std::string& out, std::string_view name, const std::string& html) {
  if (html.empty()) return;
  out += "<div><dt>";
  out += name;
  out += "</dt><dd>" + html + "</dd></div>";
}

void heading(std::string& out, std::string_view text) {
  out += "<h4>";
  out += text;
  out += "</h4>";
}

void open_table(std::string& out, std::string_view cls, std::vector<std::string_view> heads) {
  out += "<div class=\"tw\"><table class=\"";
  out += cls;
  out += "\"><thead><tr>";
  for (std::string_view h : heads) {
    const bool numeric = h.ends_with(" ms") || h == "#" || h == "opnum" || h == "bytes";
    out += numeric ? "<th class=\"num\">" : "<th>";
    out += h;
    out += "</th>";
  }
  out += "</tr></thead><tbody>";
}

void close_table(std::string& out) {
  out += "</tbody></table></div>";
}

void append_mismatches(std::string& out, const ScenarioResult& s) {
  if (s.mismatches.empty()) return;
  heading(out, "Expected versus actual");
  open_table(out, "mm", {"location", "field", "expected", "actual", "detail", "rules"});
  for (const Mismatch& m : s.mismatches) {
    out += "<tr><td class=\"loc\">" + code(m.location) + "</td><td>" + xml_text(m.field) +
           "</td><td class=\"exp\">" + code(m.expected) + "</td><td class=\"act\">" +
           code(m.actual) + "</td><td class=\"detail\">" + xml_text(m.detail) +
           "</td><td class=\"rules\">" + join_codes(m.rules) + "</td></tr>";
  }
  close_table(out);
}

// - lines are what the golden has and the run lacks, + lines the other way round.
void append_capture(std::string& out, std::string_view title, const CaptureCheck& c) {
  heading(out, title);
  const bool good = c.status == "match" || c.status == "unchanged" || c.status == "recorded";
  const bool bad = c.status == "differs" || c.status == "error";
  out += "<dl class=\"meta\">";
  meta(out, "status",
       "<span class=\"cap " +
           std::string(good  ? "good"
                       : bad ? "bad"
                             : "other") +
           "\">" + xml_text(c.status) + "</span>");
  meta(out, "golden", c.golden.empty() ? "" : code(c.golden));
  meta(out, "capture", c.path.empty() ? "" : code(c.path));
  meta(out, "digest", c.digest.empty() ? "" : code(c.digest));
  meta(out, "PDUs", std::to_string(c.pdus));
  meta(out, "detail", xml_text(c.detail));
  out += "</dl>";
  if (c.diff.empty()) return;
  out += "<pre class=\"diff\">";
  for (const std::string& line : c.diff) {
    const char first = line.empty() ? ' ' : line.front();
    if (first == '-' || first == '+') {
      // The newline goes inside: the span is a block (for its background), and a newline after
      // it would add an empty line.
      out += std::string("<span class=\"") + (first == '-' ? "del" : "add") + "\">" +
             xml_text(line) + "\n</span>";
    } else {
      out += xml_text(line) + "\n";
    }
  }
  out += "</pre>";
}

void append_calls(std::string& out, const ScenarioResult& s) {
  if (s.calls.empty()) return;
  heading(out, "Client calls");
  open_table(out, "calls",
             {"call", "mode", "started ms", "ended ms", "status", "returned", "bytes", "detail"});
  for (const CallResult& c : s.calls) {
    out += "<tr><td>" + code(c.id) + "</td><td>" + (c.async ? "async" : "sync") + "</td>" +
           ms_cell(c.started, c.started_ms) + ms_cell(c.ended, c.ended_ms) + "<td>" +
           code(c.status) + "</td><td>" + (c.returned ? "yes" : "no") + "</td><td class=\"num\">" +
           std::to_string(c.output_bytes) + "</td><td class=\"detail\">" + xml_text(c.detail) +
           "</td></tr>";
  }
  close_table(out);
}

void append_steps(std::string& out, const ScenarioResult& s) {
  if (s.steps.empty()) return;
  heading(out, "Steps");
  open_table(out, "steps", {"#", "kind", "at ms", "took ms", "returned", "handle", "location"});
  for (const StepResult& st : s.steps) {
    const std::string handle = st.handle_ok ? (*st.handle_ok ? "ok" : "bad") : "";
    out += "<tr><td class=\"num\">" + std::to_string(st.index) + "</td><td>" + xml_text(st.kind) +
           "</td>" + ms_cell(st.ran, st.at_ms) +
           ms_cell(st.ran && st.ended_ms > 0, st.ended_ms - st.at_ms) + "<td>" +
           (st.ran ? (st.returned ? code(*st.returned) : "")
                   : "<span class=\"muted\">not run</span>") +
           "</td><td>" + handle + "</td><td class=\"loc\">" + code(st.location) + "</td></tr>";
  }
  close_table(out);
}

// One row per event; the call's own columns span its events.
void append_server(std::string& out, const ScenarioResult& s) {
  if (s.server_calls.empty()) return;
  heading(out, "Server calls");
  open_table(out, "server", {"call", "opnum", "result", "event", "at ms", "detail"});
  for (const ServerCall& c : s.server_calls) {
    const std::size_t n = c.events.empty() ? 1 : c.events.size();
    std::string result = c.result ? xml_text(*c.result) : "";
    if (c.fault_status) result += " " + code(*c.fault_status);
    const std::string span = n > 1 ? " rowspan=\"" + std::to_string(n) + "\"" : "";
    out += "<tr class=\"first\"><td" + span + ">" + std::to_string(c.call_id) +
           "</td><td class=\"num\"" + span + ">" + std::to_string(c.opnum) + "</td><td" + span +
           ">" + result + "</td>";
    if (c.events.empty()) out += "<td class=\"muted\">no events</td><td></td><td></td></tr>";
    for (std::size_t i = 0; i < c.events.size(); ++i) {
      const ServerEvent& e = c.events[i];
      if (i > 0) out += "<tr>";
      out += "<td>" + xml_text(e.kind) + "</td>" + ms_cell(true, e.at_ms) +
             "<td class=\"detail\">" + xml_text(e.detail) + "</td></tr>";
    }
  }
  close_table(out);
}

void append_faults(std::string& out, const ScenarioResult& s) {
  if (s.faults.empty() && s.injected.empty()) return;
  heading(out, "Faults");
  std::string injected;
  for (const auto& [kind, count] : s.injected)
    injected += (injected.empty() ? "" : ", ") + xml_text(kind) + " \u00d7" + std::to_string(count);
  out += "<dl class=\"meta\">";
  meta(out, "specs", join_codes(s.faults));
  meta(out, "injected", injected);
  meta(out, "fault seed", code(std::to_string(s.fault_seed)));
  out += "</dl>";
}

}  // namespace

void append_scenario_section(std::string& out, const ScenarioResult& s, std::string_view anchor,
                             std::string_view label) {
  const std::string v(verdict_class(s.verdict));
  const bool failing = failing_verdict(s.verdict);
  out += "<details class=\"scn v-" + v + "\" id=\"";
  out += anchor;
  out += std::string("\"") + (failing ? " open" : "") + "><summary><span class=\"b b-" + v + "\">" +
         xml_text(s.verdict) + "</span><span class=\"sid\">" + xml_text(label) +
         "</span><span class=\"stitle\">" + xml_text(s.title) + "</span><span class=\"swall\">" +
         xml_text(format_ms(s.wall_ms)) + " ms</span></summary><div class=\"body\">";
  out += "<dl class=\"meta\">";
  meta(out, "file", code(s.file));
  meta(out, "rules", join_codes(s.rules));
  meta(out, "tags", xml_text(join_plain(s.tags)));
  meta(out, "level", xml_text(s.level));
  meta(out, "area", xml_text(s.area));
  meta(out, "protseq", xml_text(s.protseq));
  meta(out, "seed", code(std::to_string(s.seed)));
  meta(out, "repetition", std::to_string(s.repetition + 1));
  meta(out, "ended at", xml_text(format_ms(s.ended_ms)) + " ms");
  if (s.alignment_ms)
    meta(out, "agent clock", "\u00b1" + xml_text(format_ms(*s.alignment_ms)) + " ms");
  out += "</dl>";
  if (!s.reason.empty())
    out += "<p class=\"reason r-" + v + "\"><b>" + xml_text(s.verdict) + ":</b> " +
           xml_text(s.reason) + "</p>";
  for (std::size_t i = 0; i < s.retried.size(); ++i)
    out += "<p class=\"retry\">" + xml_text(retry_line(s.retried[i], i, s.retried.size() + 1)) +
           "</p>";
  if (!s.log.empty()) {
    out += "<details class=\"log\"><summary>The agent's stderr</summary><pre class=\"diff\">" +
           xml_text(s.log) + "</pre></details>";
  }
  append_mismatches(out, s);
  if (s.capture) append_capture(out, "Capture", *s.capture);
  if (s.live_capture) append_capture(out, "Live capture", *s.live_capture);
  append_calls(out, s);
  append_steps(out, s);
  append_server(out, s);
  append_faults(out, s);
  heading(out, "Sequence");
  out += "<figure class=\"seqbox\">" + sequence_svg(s) + "</figure>";
  out += "</div></details>\n";
}

}  // namespace rpcfit::reports::html_detail
