#include "harness/check/capture_diff.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace rpcfit::run {
namespace {

constexpr std::size_t kContext = 3;
// Above this many PDUs a side, alignment is positional: the quadratic table would be too large.
constexpr std::size_t kMaxAligned = 4000;

std::string ms(Timestamp t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", std::chrono::duration<double, std::milli>(t).count());
  return buf;
}

// One aligned row: indices into the golden and the actual PDUs (npos when absent).
struct Row {
  std::size_t golden = std::string::npos;
  std::size_t actual = std::string::npos;
  char mark = ' ';
  Timestamp allowed{};
};

std::vector<Row> align(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<Row> rows;
  if (a.size() > kMaxAligned || b.size() > kMaxAligned) {
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (i < a.size() && i < b.size() && a[i] == b[i]) {
        rows.push_back({i, i});
        continue;
      }
      if (i < a.size()) rows.push_back({i, std::string::npos, '-'});
      if (i < b.size()) rows.push_back({std::string::npos, i, '+'});
    }
    return rows;
  }
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  std::vector<std::vector<std::uint32_t>> lcs(a.size() + 1,
                                              std::vector<std::uint32_t>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;) {
    for (std::size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      rows.push_back({i++, j++});
    } else if (j == b.size() || (i < a.size() && lcs[i + 1][j] >= lcs[i][j + 1])) {
      rows.push_back({i++, std::string::npos, '-'});
    } else {
      rows.push_back({std::string::npos, j++, '+'});
    }
  }
  return rows;
}

std::string cell(std::size_t index, const std::vector<NormalizedPdu>& pdus, bool time) {
  if (index == std::string::npos) return ".";
  return time ? ms(pdus[index].at) : std::to_string(pdus[index].frame);
}

std::string line_of(const Row& row, const NormalizedCapture& golden,
                    const NormalizedCapture& actual) {
  char head[96];
  std::snprintf(
      head, sizeof head, "%c %6s %6s %12s %12s  ", row.mark,
      cell(row.golden, golden.pdus, false).c_str(), cell(row.actual, actual.pdus, false).c_str(),
      cell(row.golden, golden.pdus, true).c_str(), cell(row.actual, actual.pdus, true).c_str());
  const NormalizedPdu& pdu =
      row.golden != std::string::npos ? golden.pdus[row.golden] : actual.pdus[row.actual];
  std::string text = head + pdu.key();
  if (row.mark == '~') {
    const Timestamp off = actual.pdus[row.actual].at - golden.pdus[row.golden].at;
    text += "   (off by " + ms(off) + "ms, tolerance " + ms(row.allowed) + "ms)";
  }
  return text;
}

}  // namespace

std::string CaptureDiff::summary() const {
  std::string text;
  auto add = [&](std::size_t n, const char* what) {
    if (n == 0) return;
    text += (text.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  add(missing, "missing");
  add(extra, "extra");
  add(mistimed, "mistimed");
  return text.empty() ? "the same" : text;
}

CaptureDiff compare(const NormalizedCapture& golden, const NormalizedCapture& actual,
                    const TimeTolerance& tolerance) {
  std::vector<std::string> a;
  std::vector<std::string> b;
  for (const auto& p : golden.pdus)
    a.push_back(p.key());
  for (const auto& p : actual.pdus)
    b.push_back(p.key());
  std::vector<Row> rows = align(a, b);

  CaptureDiff diff;
  for (Row& row : rows) {
    if (row.mark == '-') ++diff.missing;
    if (row.mark == '+') {
      ++diff.extra;
      diff.extra_at.push_back(row.actual);
    }
    if (row.mark != ' ') continue;
    const Timestamp expected = golden.pdus[row.golden].at;
    row.allowed = tolerance(expected);
    if (std::chrono::abs(actual.pdus[row.actual].at - expected) > row.allowed) {
      row.mark = '~';
      ++diff.mistimed;
    }
  }
  diff.same = diff.missing + diff.extra + diff.mistimed == 0;
  if (diff.same) return diff;

  char header[96];
  std::snprintf(header, sizeof header, "  %6s %6s %12s %12s  %s", "golden", "actual", "golden ms",
                "actual ms", "conversation, direction, PDU");
  diff.lines.push_back(header);
  // Context: equal rows within kContext of a differing one; longer runs are cut.
  std::vector<bool> shown(rows.size(), false);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].mark == ' ') continue;
    const std::size_t from = r >= kContext ? r - kContext : 0;
    const std::size_t to = std::min(rows.size(), r + kContext + 1);
    for (std::size_t k = from; k < to; ++k)
      shown[k] = true;
  }
  std::size_t skipped = 0;
  auto flush_skipped = [&] {
    if (skipped == 0) return;
    diff.lines.push_back("  ... " + std::to_string(skipped) + " equal PDU(s) ...");
    skipped = 0;
  };
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (!shown[r]) {
      ++skipped;
      continue;
    }
    flush_skipped();
    diff.lines.push_back(line_of(rows[r], golden, actual));
  }
  flush_skipped();
  return diff;
}

}  // namespace rpcfit::run
