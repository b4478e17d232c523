#include "reports/sequence_svg.h"

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

#include "reports/html_parts.h"

namespace rpcfit::reports {
namespace {

using html_detail::format_ms;

constexpr int kWidth = 760;
constexpr int kTimeRight = 46;  // right edge of the time column
constexpr int kClientX = 250;
constexpr int kServerX = 580;
constexpr int kFirstRow = 62;
constexpr int kRowHeight = 26;
constexpr int kBreakHeight = 18;
constexpr int kBottom = 18;
// Label budgets in characters: over an arrow (monospace 10.5px, ~6.3px a character, over the
// 330px between the lifelines; it may reach a little past them, nothing else is on its row) and
// beside a lifeline (sans 10.5px over the ~190px left of the client, ~170px right of the
// server). Longer text is cut; the full text is in the row's <title>.
constexpr std::size_t kArrowChars = 52;
constexpr std::size_t kClientSideChars = 30;
constexpr std::size_t kServerSideChars = 26;
// A pause counts as a break when it is this many times the median gap (and at least 10 ms, so
// that a run of simultaneous rows does not make every small gap a break).
constexpr double kBreakFactor = 10;
constexpr double kMinMedian = 1.0;

constexpr std::string_view kInk = "#475569";
constexpr std::string_view kCancelInk = "#c2410c";
constexpr std::string_view kServerInk = "#2563eb";
constexpr std::string_view kDoneInk = "#15803d";
constexpr std::string_view kQuietInk = "#64748b";

// A white outline under label text, so that a lifeline crossing a label does not strike it out.
constexpr const char* kHalo =
    "stroke=\"#fff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\"";

enum class RowKind { kPdu, kServerMark, kClientMark };

struct Row {
  double at_ms = 0;
  RowKind kind = RowKind::kPdu;
  bool out = true;  // kPdu: client -> server
  std::string_view ink = kInk;
  std::string head;  // bold part of the label (the PDU type, the call)
  std::string tail;  // the rest
  std::string full;  // the tooltip
};

bool cancel_related(std::string_view type) {
  return type == "co_cancel" || type == "orphaned" || type == "cl_cancel" || type == "cancel_ack" ||
         type == "fault";
}

// Cuts to `max` characters (a UTF-8 sequence counts as one), ending in an ellipsis when cut.
std::string shorten(std::string_view text, std::size_t max) {
  auto lead = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; };
  if (static_cast<std::size_t>(std::count_if(text.begin(), text.end(), lead)) <= max)
    return std::string(text);
  std::size_t chars = 0;
  std::size_t end = 0;
  for (; end < text.size(); ++end) {
    if (lead(text[end]) && chars++ == max - 1) break;
  }
  return std::string(text.substr(0, end)) + "\u2026";
}

// The dump's one-line form repeats the type first; the arrow shows it in bold already.
std::string_view without_type(std::string_view text, std::string_view type) {
  if (text.size() > type.size() && text.substr(0, type.size()) == type && text[type.size()] == ' ')
    return text.substr(type.size() + 1);
  if (text == type) return {};
  return text;
}

std::string_view server_ink(std::string_view kind) {
  if (kind == "saw_cancel") return kCancelInk;
  if (kind == "finished") return kDoneInk;
  if (kind == "result_discarded") return kQuietInk;
  return kServerInk;
}

std::vector<Row> rows_of(const ScenarioResult& s) {
  std::vector<Row> rows;
  // Inserted in causal order for equal times: the API call, the PDU it makes, the server's
  // reaction, and last the end of the client call.
  for (const StepResult& st : s.steps) {
    if (!st.ran || (st.kind != "cancel" && st.kind != "cancel_thread" && st.kind != "async_cancel"))
      continue;
    std::string result = st.returned ? "\u2192 " + *st.returned : "no return";
    rows.push_back({st.at_ms, RowKind::kClientMark, true, kCancelInk, st.kind, result,
                    "step " + std::to_string(st.index) + " " + st.kind + " " + result + " (" +
                        st.location + ")"});
  }
  for (const WireLine& w : s.wire) {
    const std::string_view tail = without_type(w.text, w.type);
    const std::size_t budget =
        kArrowChars > w.type.size() + 1 ? kArrowChars - w.type.size() - 1 : 1;
    rows.push_back({w.at_ms, RowKind::kPdu, w.out, cancel_related(w.type) ? kCancelInk : kInk,
                    w.type, tail.empty() ? std::string() : shorten(tail, budget),
                    std::string(w.out ? "out " : "in ") + w.text});
  }
  for (const ServerCall& c : s.server_calls) {
    for (const ServerEvent& e : c.events) {
      std::string head = "#" + std::to_string(c.call_id) + " " + e.kind;
      std::string full = "server call " + std::to_string(c.call_id) + " opnum " +
                         std::to_string(c.opnum) + ": " + e.kind +
                         (e.detail.empty() ? "" : " " + e.detail);
      rows.push_back(
          {e.at_ms, RowKind::kServerMark, false, server_ink(e.kind), head, e.detail, full});
    }
  }
  for (const CallResult& c : s.calls) {
    if (!c.ended) continue;
    std::string full =
        "call " + c.id + " ended " + c.status + (c.detail.empty() ? "" : " (" + c.detail + ")");
    rows.push_back({c.ended_ms, RowKind::kClientMark, false, c.returned ? kDoneInk : kInk,
                    c.id + " end", c.status, full});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.at_ms < b.at_ms; });
  return rows;
}

// Whether a break goes before each row.
std::vector<bool> breaks_of(const std::vector<Row>& rows) {
  std::vector<bool> breaks(rows.size(), false);
  if (rows.size() < 3) return breaks;
  std::vector<double> gaps;
  for (std::size_t i = 1; i < rows.size(); ++i)
    gaps.push_back(rows[i].at_ms - rows[i - 1].at_ms);
  std::vector<double> sorted = gaps;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t mid = sorted.size() / 2;
  const double median = sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const double limit = kBreakFactor * std::max(median, kMinMedian);
  for (std::size_t i = 1; i < rows.size(); ++i)
    breaks[i] = gaps[i - 1] > limit;
  return breaks;
}

std::string num(int v) {
  return std::to_string(v);
}

// The diagram is drawn in layers, each a <g> holding the attributes its elements share, so that
// a row costs a few short elements: a report holds hundreds of diagrams.
struct Layers {
  std::string times;   // the time column (and the pauses of the breaks)
  std::string shapes;  // arrows, marks, breaks
  std::string pdu_labels;
  std::string mark_labels;
};

constexpr std::string_view kMono = "ui-monospace,Menlo,Consolas,monospace";
constexpr std::string_view kSans = "system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif";

// The label: its tooltip, the head in bold, then the tail.
std::string label(const Row& r, std::string_view tail) {
  std::string body = "<title>" + xml_text(format_ms(r.at_ms) + " ms: " + r.full) +
                     "</title><tspan font-weight=\"700\">" + xml_text(r.head) + "</tspan>";
  if (!tail.empty()) body += " " + xml_text(tail);
  return body + "</text>";
}

void draw_pdu(Layers& l, const Row& r, int y) {
  const int from = r.out ? kClientX + 3 : kServerX - 3;
  const int to = r.out ? kServerX - 3 : kClientX + 3;
  const int back = r.out ? to - 9 : to + 9;
  const std::string ink(r.ink);
  l.shapes += "<line class=\"arrow " + std::string(r.out ? "out" : "in") + "\" x1=\"" + num(from) +
              "\" y1=\"" + num(y) + "\" x2=\"" + num(to) + "\" y2=\"" + num(y) + "\" stroke=\"" +
              ink + "\"/><path d=\"M" + num(to) + " " + num(y) + "L" + num(back) + " " +
              num(y - 4) + "L" + num(back) + " " + num(y + 4) + "Z\" fill=\"" + ink + "\"/>";
  l.pdu_labels += "<text x=\"" + num((kClientX + kServerX) / 2) + "\" y=\"" + num(y - 5) +
                  "\" fill=\"" + ink + "\">" + label(r, r.tail);
}

void draw_mark(Layers& l, const Row& r, int y) {
  const bool server = r.kind == RowKind::kServerMark;
  const int x = server ? kServerX : kClientX;
  const std::string ink(r.ink);
  if (server) {
    l.shapes +=
        "<circle cx=\"" + num(x) + "\" cy=\"" + num(y) + "\" r=\"4\" fill=\"" + ink + "\"/>";
  } else {
    l.shapes += "<rect x=\"" + num(x - 4) + "\" y=\"" + num(y - 4) +
                "\" width=\"8\" height=\"8\" transform=\"rotate(45 " + num(x) + " " + num(y) +
                ")\" fill=\"" + ink + "\"/>";
  }
  const std::size_t used = r.head.size() + 1;
  const std::size_t budget = server ? kServerSideChars : kClientSideChars;
  const std::string tail = r.tail.empty() ? "" : shorten(r.tail, budget > used ? budget - used : 1);
  l.mark_labels += "<text x=\"" + num(server ? x + 10 : x - 10) + "\" y=\"" + num(y + 4) + "\"" +
                   (server ? "" : " text-anchor=\"end\"") + " fill=\"" + ink + "\">" +
                   label(r, tail);
}

void draw_break(Layers& l, int y, double gap_ms) {
  for (int x : {kClientX, kServerX}) {
    l.shapes += "<rect x=\"" + num(x - 6) + "\" y=\"" + num(y - 5) +
                "\" width=\"12\" height=\"10\" fill=\"#fff\"/><path d=\"M" + num(x - 6) + " " +
                num(y + 1) + "l12 -6M" + num(x - 6) + " " + num(y + 5) +
                "l12 -6\" stroke=\"#94a3b8\" stroke-width=\"1.2\"/>";
  }
  l.times += "<text class=\"gap\" x=\"" + num(kTimeRight) + "\" y=\"" + num(y + 3) +
             "\" font-size=\"9\" fill=\"#94a3b8\">" + xml_text("+" + format_ms(gap_ms)) + "</text>";
}

void open_svg(std::string& out, int width, int height, std::string_view aria) {
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"seq\" width=\"" + num(width) +
         "\" height=\"" + num(height) + "\" viewBox=\"0 0 " + num(width) + " " + num(height) +
         "\" role=\"img\" aria-label=\"" + xml_attribute(aria) + "\" font-family=\"";
  out += kSans;
  out += "\">";
}

void draw_heads(std::string& out, int bottom) {
  for (auto [x, name] : {std::pair{kClientX, "client"}, std::pair{kServerX, "server"}}) {
    out += "<line x1=\"" + num(x) + "\" y1=\"34\" x2=\"" + num(x) + "\" y2=\"" + num(bottom) +
           "\" stroke=\"#cbd5e1\" stroke-width=\"1.5\"/><rect x=\"" + num(x - 44) +
           "\" y=\"8\" width=\"88\" height=\"26\" rx=\"5\" fill=\"#f1f5f9\" stroke=\"#94a3b8\"/>"
           "<text x=\"" +
           num(x) +
           "\" y=\"25\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"600\" "
           "fill=\"#334155\">" +
           name + "</text>";
  }
  out += "<text x=\"" + num(kTimeRight) +
         "\" y=\"25\" text-anchor=\"end\" font-size=\"10\" fill=\"#94a3b8\">ms</text>";
}

}  // namespace

std::string sequence_svg(const ScenarioResult& s) {
  std::string out;
  if (s.wire.empty()) {
    open_svg(out, 240, 40, "no PDUs");
    out +=
        "<rect x=\"0.5\" y=\"0.5\" width=\"239\" height=\"39\" rx=\"6\" fill=\"#f8fafc\" "
        "stroke=\"#e2e8f0\"/><text x=\"120\" y=\"24\" text-anchor=\"middle\" font-size=\"12\" "
        "fill=\"#64748b\">no PDUs</text></svg>";
    return out;
  }
  const std::vector<Row> rows = rows_of(s);
  const std::vector<bool> breaks = breaks_of(rows);
  const int n_breaks = static_cast<int>(std::count(breaks.begin(), breaks.end(), true));
  const int n_rows = static_cast<int>(rows.size());
  const int height = kFirstRow + (n_rows - 1) * kRowHeight + n_breaks * kBreakHeight + kBottom;
  Layers l;
  int y = kFirstRow;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    if (i > 0) y += kRowHeight;
    if (breaks[i]) {
      draw_break(l, y - kRowHeight + (kRowHeight + kBreakHeight) / 2 - 4,
                 r.at_ms - rows[i - 1].at_ms);
      y += kBreakHeight;
    }
    l.times += "<text x=\"" + num(kTimeRight) + "\" y=\"" + num(y + 4) + "\">" +
               xml_text(format_ms(r.at_ms)) + "</text>";
    switch (r.kind) {
      case RowKind::kPdu:
        draw_pdu(l, r, y);
        break;
      case RowKind::kServerMark:
      case RowKind::kClientMark:
        draw_mark(l, r, y);
        break;
    }
  }
  open_svg(out, kWidth, height, "sequence of " + std::to_string(s.wire.size()) + " PDUs");
  draw_heads(out, height - 6);
  const std::string mono(kMono);
  out += "<g font-family=\"" + mono + "\" font-size=\"10\" fill=\"#64748b\" text-anchor=\"end\">" +
         l.times + "</g><g stroke-width=\"1.4\">" + l.shapes + "</g><g " + kHalo +
         " font-size=\"10.5\"><g font-family=\"" + mono + "\" text-anchor=\"middle\">" +
         l.pdu_labels + "</g>" + l.mark_labels + "</g></svg>";
  return out;
}

}  // namespace rpcfit::reports
