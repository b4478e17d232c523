#include "reports/sequence_svg.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "reports/sample_report.h"

namespace rpcfit::reports {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using testing::count;

struct Arrow {
  std::string dir;
  int x1 = 0, x2 = 0, y = 0;
};

std::vector<Arrow> arrows_in(const std::string& svg) {
  std::vector<Arrow> out;
  const std::regex line(R"re(<line class="arrow (out|in)" x1="(\d+)" y1="(\d+)" x2="(\d+)")re");
  for (std::sregex_iterator it(svg.begin(), svg.end(), line), end; it != end; ++it)
    out.push_back({(*it)[1], std::stoi((*it)[2]), std::stoi((*it)[4]), std::stoi((*it)[3])});
  return out;
}

// A tiny well-formedness check of XML without a DTD: tags balance, attribute values are quoted,
// '<' only opens tags and '&' only starts an entity. Returns the first problem, "" when none.
std::string xml_problem(const std::string& xml) {
  std::vector<std::string> open;
  const std::regex entity("^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);");
  for (std::size_t i = 0; i < xml.size(); ++i) {
    if (xml[i] == '&') {
      if (!std::regex_search(xml.substr(i, 12), entity))
        return "bad entity at " + std::to_string(i);
      continue;
    }
    if (xml[i] != '<') continue;
    const std::size_t end = xml.find('>', i);
    if (end == std::string::npos) return "unclosed tag";
    const std::string tag = xml.substr(i + 1, end - i - 1);
    if (tag.find('<') != std::string::npos) return "'<' inside tag " + tag;
    if (count(tag, "\"") % 2) return "unbalanced quotes in " + tag;
    i = end;
    if (tag.ends_with("/")) continue;
    if (tag.starts_with("/")) {
      if (open.empty() || open.back() != tag.substr(1)) return "unexpected </" + tag.substr(1);
      open.pop_back();
      continue;
    }
    open.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

ScenarioResult hostile() {
  ScenarioResult s = testing::sample_report().scenarios[0];
  s.wire.push_back({1100.9, false, "fault", "fault <&\"'> status=0x1c01000b"});
  s.server_calls[0].events.push_back({"finished", 1100.8, "raised <RPC_S_CALL_CANCELLED> & more"});
  s.calls[0].status = "<status>";
  return s;
}

TEST(SequenceSvg, DrawsOneArrowPerPduInTheRightDirection) {
  const ScenarioResult s = testing::sample_report().scenarios[0];
  const std::vector<Arrow> arrows = arrows_in(sequence_svg(s));
  ASSERT_EQ(arrows.size(), s.wire.size());
  int last_y = 0;
  for (std::size_t i = 0; i < arrows.size(); ++i) {
    EXPECT_EQ(arrows[i].dir, s.wire[i].out ? "out" : "in") << i;
    // Client on the left: out goes right, in goes left.
    EXPECT_EQ(arrows[i].x1 < arrows[i].x2, s.wire[i].out) << i;
    EXPECT_GT(arrows[i].y, last_y) << i;
    last_y = arrows[i].y;
  }
}

TEST(SequenceSvg, LabelsPdusWithTypeAndTimeAndHighlightsCancels) {
  const std::string svg = sequence_svg(testing::sample_report().scenarios[0]);
  EXPECT_THAT(svg, HasSubstr("<tspan font-weight=\"700\">co_cancel</tspan> call_id=1 "
                             "flags=LAST|PENDING_CANCEL"));
  EXPECT_THAT(svg, HasSubstr(">1100.6</text>"));
  EXPECT_THAT(svg, HasSubstr(">100.4</text>"));
  EXPECT_EQ(count(svg, "stroke=\"#c2410c\""), 2u);  // co_cancel, orphaned
  EXPECT_THAT(svg, HasSubstr("flags=FIRST|LAST max_xmit=5840 max_r\u2026</text>"));
}

TEST(SequenceSvg, CutsLongLabelsAndKeepsTheFullTextInTheTooltip) {
  ScenarioResult s;
  const std::string text =
      "response call_id=7 flags=FIRST|LAST alloc_hint=4096 ctx=0 "
      "cancel_count=1 stub=4096 auth=ntlm \u00e9\u00e9\u00e9\u00e9";
  s.wire = {{5, false, "response", text}};
  const std::string svg = sequence_svg(s);
  EXPECT_THAT(svg, HasSubstr("<tspan font-weight=\"700\">response</tspan> call_id=7 flags=FIRST|"
                             "LAST alloc_hint=4096\u2026</text>"));
  EXPECT_THAT(svg, HasSubstr("<title>5 ms: in " + text + "</title>"));
  // A cut never splits a UTF-8 sequence.
  s.wire[0].text = "response " + std::string(41, 'x') + "\u00e9\u00e9\u00e9\u00e9";
  EXPECT_THAT(sequence_svg(s), HasSubstr(std::string(41, 'x') + "\u00e9\u2026</text>"));
}

TEST(SequenceSvg, MarksServerEventsCallEndsAndCancelSteps) {
  const std::string svg = sequence_svg(testing::sample_report().scenarios[0]);
  EXPECT_EQ(count(svg, "<circle"), 2u);  // started, saw_cancel
  EXPECT_THAT(svg, HasSubstr(">#1 started</tspan>"));
  EXPECT_THAT(svg, HasSubstr(">#1 saw_cancel</tspan>"));
  EXPECT_EQ(count(svg, "rotate(45"), 2u);  // the cancel step and the end of c1
  EXPECT_THAT(svg, HasSubstr(">cancel</tspan> \u2192 RPC_S_OK"));
  EXPECT_THAT(svg, HasSubstr(">c1 end</tspan> RPC_S_CALL_CANCELLED"));
}

TEST(SequenceSvg, RowsAreInTimeOrder) {
  const std::string svg = sequence_svg(testing::sample_report().scenarios[0]);
  // The time column, top to bottom.
  std::vector<std::string> times;
  int last_y = 0;
  const std::regex time(R"re(<text x="\d+" y="(\d+)">([0-9.]+)</text>)re");
  for (std::sregex_iterator it(svg.begin(), svg.end(), time), end; it != end; ++it) {
    EXPECT_GT(std::stoi((*it)[1]), last_y);
    last_y = std::stoi((*it)[1]);
    times.push_back((*it)[2]);
  }
  EXPECT_THAT(times, ::testing::ElementsAre("0.2", "1.1", "1.3", "1.4", "100", "100.4", "100.6",
                                            "1100.6", "1100.7"));
}

TEST(SequenceSvg, DrawsABreakOverALongPause) {
  // Gaps of a few tenths of a millisecond, then ~99 ms and ~1 s: two breaks.
  const std::string svg = sequence_svg(testing::sample_report().scenarios[0]);
  EXPECT_EQ(count(svg, "class=\"gap\""), 2u);
  EXPECT_THAT(svg, HasSubstr(">+98.6</text>"));
  EXPECT_THAT(svg, HasSubstr(">+1000</text>"));
  // Evenly spaced rows: no break.
  ScenarioResult even;
  for (int i = 0; i < 6; ++i)
    even.wire.push_back({10.0 * i, i % 2 == 0, "request", "request"});
  EXPECT_EQ(count(sequence_svg(even), "class=\"gap\""), 0u);
}

TEST(SequenceSvg, SaysNoPdusForAnEmptyWire) {
  const std::string svg = sequence_svg(ScenarioResult{});
  EXPECT_THAT(svg, HasSubstr(">no PDUs</text>"));
  EXPECT_THAT(svg, HasSubstr("height=\"40\""));
  EXPECT_EQ(xml_problem(svg), "");
}

TEST(SequenceSvg, EscapesTextAndIsWellFormed) {
  const std::string svg = sequence_svg(hostile());
  EXPECT_THAT(svg, Not(HasSubstr("<status>")));
  EXPECT_THAT(svg, HasSubstr("&lt;status&gt;"));
  EXPECT_THAT(svg, HasSubstr("fault &lt;&amp;\"'&gt; status"));
  EXPECT_EQ(xml_problem(svg), "");
  for (const ScenarioResult& s : testing::sample_report().scenarios)
    EXPECT_EQ(xml_problem(sequence_svg(s)), "") << s.id;
}

TEST(SequenceSvg, XmllintAcceptsIt) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/xmllint"))
      << "xmllint is missing: install libxml2-utils (tools/setup.sh does)";
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "rpcfit-sequence-test.svg";
  std::ofstream(path, std::ios::binary) << sequence_svg(hostile());
  const std::string command = "/usr/bin/xmllint --noout '" + path.string() + "' 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace rpcfit::reports
