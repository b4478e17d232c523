#include "reports/html.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "reports/sample_report.h"
#include "reports/sequence_svg.h"

namespace rpcfit::reports {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using testing::count;

std::vector<std::string> svgs_in(const std::string& html) {
  std::vector<std::string> out;
  for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at)) {
    const std::size_t end = html.find("</svg>", at);
    if (end == std::string::npos) break;
    out.push_back(html.substr(at, end + 6 - at));
    at = end;
  }
  return out;
}

TEST(HtmlReport, EveryScenarioHasASectionAndASummaryRow) {
  const RunReport report = testing::sample_report();
  const std::string html = html_report(report);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_EQ(count(html, "<details class=\"scn"), report.scenarios.size());
  EXPECT_EQ(count(html, "<tr data-v="), report.scenarios.size());
  for (const char* anchor :
       {"s-timeout-co-hung-server-finite", "s-faults-udp-lost-cl-cancel", "s-server-co-stuck",
        "s-protseq-mq-lab", "s-cancel-co-known-bug", "s-cancel-co-stale-mark"}) {
    EXPECT_THAT(html, HasSubstr(std::string("href=\"#") + anchor + "\"")) << anchor;
    EXPECT_THAT(html, HasSubstr(std::string("id=\"") + anchor + "\"")) << anchor;
  }
}

TEST(HtmlReport, ShowsEachVerdictBadgeAndOpensFailingSections) {
  const std::string html = html_report(testing::sample_report());
  for (const char* v : {"PASS", "FAIL", "ERROR", "SKIP", "XFAIL", "XPASS"}) {
    const std::string badge = std::string("<span class=\"b b-") + v + "\">" + v + "</span>";
    EXPECT_EQ(count(html, badge), 2u) << v;  // summary row and section
  }
  EXPECT_THAT(html, HasSubstr("id=\"s-faults-udp-lost-cl-cancel\" open>"));
  EXPECT_THAT(html, HasSubstr("id=\"s-server-co-stuck\" open>"));
  EXPECT_THAT(html, HasSubstr("id=\"s-cancel-co-stale-mark\" open>"));
  EXPECT_THAT(html, HasSubstr("id=\"s-timeout-co-hung-server-finite\">"));
  EXPECT_THAT(html, HasSubstr("id=\"s-protseq-mq-lab\">"));
}

TEST(HtmlReport, ShowsTotalsAndSettings) {
  const std::string html = html_report(testing::sample_report());
  EXPECT_THAT(html, HasSubstr("<h1>rpcfit run</h1>"));
  EXPECT_THAT(html, HasSubstr("2026-12-06T04:27:09Z"));
  EXPECT_THAT(html, HasSubstr("3913299748625767897"));
  EXPECT_THAT(html, HasSubstr("3 failing"));
  EXPECT_THAT(html, HasSubstr("<span class=\"tot c-FAIL\"><b>1</b> FAIL</span>"));
  EXPECT_THAT(html, HasSubstr("<dt>jobs</dt><dd>2</dd>"));
  EXPECT_THAT(html, HasSubstr("<dt>paths</dt><dd>scenarios</dd>"));
}

TEST(HtmlReport, ShowsMismatchesWithExpectedAndActual) {
  const std::string html = html_report(testing::sample_report());
  EXPECT_THAT(html, HasSubstr("<td>server call 1 saw_cancel_at</td>"
                              "<td class=\"exp\"><code>100ms</code></td>"
                              "<td class=\"act\"><code>359.788ms</code></td>"));
  // The summary gives the first one.
  EXPECT_THAT(html, HasSubstr("<b>server call 1 saw_cancel_at</b>: expected <code>100ms</code>, "
                              "got <code>359.788ms</code> <span class=\"more\">+1</span>"));
  EXPECT_THAT(html, HasSubstr("cancel_id=1 &lt;&amp;\"|`&gt;"));
}

TEST(HtmlReport, ShowsTheCaptureDiffColouredAndEscaped) {
  const std::string html = html_report(testing::sample_report());
  EXPECT_THAT(html, HasSubstr("<pre class=\"diff\">  #1   0.000  c&gt;s request seqnum=0\n"
                              "<span class=\"del\">- #2 350.000  c&gt;s cl_cancel\n</span>"
                              "<span class=\"add\">+ #2 352.293  c&gt;s cl_cancel cancel_id=2"
                              "\n</span></pre>"));
  EXPECT_THAT(html, HasSubstr("<code>00aa11bb22cc33dd</code>"));
  EXPECT_THAT(html, HasSubstr("<code>captures/golden/faults/udp/lost-cl-cancel.pcap</code>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"cap bad\">differs</span>"));
}

TEST(HtmlReport, ShowsCallsStepsServerEventsAndFaults) {
  const std::string html = html_report(testing::sample_report());
  EXPECT_THAT(html, HasSubstr("<code>RPC_S_CALL_CANCELLED</code>"));
  EXPECT_THAT(html, HasSubstr("<td>saw_cancel</td><td class=\"num\">100.6</td>"));
  EXPECT_THAT(html, HasSubstr("<code>scenarios/timeout/co/hung-server-finite.yaml:8:5</code>"));
  EXPECT_THAT(html, HasSubstr("<code>drop,pdu=cl_cancel,nth=1</code>"));
  EXPECT_THAT(html, HasSubstr("drop \u00d71"));
  EXPECT_THAT(html, HasSubstr("<code>16525389670970726842</code>"));
}

TEST(HtmlReport, ShowsTheAttemptsDiscardedForAStall) {
  const std::string html = html_report(testing::sample_report());
  EXPECT_THAT(html, HasSubstr("<p class=\"retry\">attempt 1 of 2, FAIL while the machine stalled "
                              "for 152.2ms: breaks CS-TMO-2 &lt;late&gt;</p>"));
}

TEST(HtmlReport, HasOneSequenceDiagramPerScenario) {
  const RunReport report = testing::sample_report();
  const std::vector<std::string> svgs = svgs_in(html_report(report));
  ASSERT_EQ(svgs.size(), report.scenarios.size());
  for (std::size_t i = 0; i < svgs.size(); ++i) {
    EXPECT_EQ(svgs[i], sequence_svg(report.scenarios[i]));
    EXPECT_EQ(count(svgs[i], "class=\"arrow "), report.scenarios[i].wire.size()) << i;
  }
}

TEST(HtmlReport, FetchesNothing) {
  const std::string html = html_report(testing::sample_report());
  const std::regex external(R"re((src|href)\s*=\s*["']?\s*([a-z][a-z0-9+.-]*:|//)|url\s*\()re",
                            std::regex::icase);
  EXPECT_FALSE(std::regex_search(html, external));
  // The only "http" is the SVG namespace, an identifier that is never fetched.
  EXPECT_EQ(count(html, "http:"), count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("@font-face")));
  EXPECT_THAT(html, HasSubstr("Content-Security-Policy\" content=\"default-src 'none'"));
}

TEST(HtmlReport, EscapesIdsReasonsAndAttributes) {
  RunReport report = testing::sample_report();
  ScenarioResult& odd = report.scenarios[3];
  odd.id = "odd/<id>&\"q'";
  odd.title = "<script>alert(1)</script>";
  odd.area = "a\"rea";
  odd.tags = {"t'ag"};
  const std::string html = html_report(report);
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  // Quotes are escaped in attribute values only.
  EXPECT_THAT(html, HasSubstr("href=\"#s-odd--id---q-\">odd/<wbr>&lt;id&gt;&amp;\"q'</a>"));
  EXPECT_THAT(html, HasSubstr("<option value=\"a&quot;rea\">a\"rea</option>"));
  EXPECT_THAT(html, HasSubstr("data-a=\"a&quot;rea\""));
  EXPECT_THAT(html, HasSubstr("<dt>tags</dt><dd>t'ag</dd>"));
  EXPECT_THAT(html, HasSubstr("data-s=\"odd/&lt;id&gt;&amp;&quot;q&#39; "));
  EXPECT_THAT(html, HasSubstr(" t&#39;ag\""));
  EXPECT_THAT(html, HasSubstr("the lab &lt;printer&gt; &amp; co are on fire"));
  EXPECT_THAT(html, Not(HasSubstr("<printer>")));
}

// The report is UTF-8 and its diagrams are SVG: bytes that are not UTF-8 and control characters
// (which HTML and XML forbid) are replaced, in text and in attribute values alike.
TEST(HtmlReport, InvalidUtf8AndControlCharactersAreReplaced) {
  RunReport report = testing::sample_report();
  ScenarioResult& odd = report.scenarios[3];
  odd.title = std::string("nul:") + '\0' + " esc:\x1B[0m bad:\xFF c1:\xC2\x85";
  odd.area = "a\x01rea";
  report.scenarios[0].wire[0].text += " \x02\xC3";
  const std::string html = html_report(report);
  EXPECT_THAT(html, HasSubstr("nul:\\x00 esc:\\x1B[0m bad:\xEF\xBF\xBD c1:\\u0085</span>"));
  EXPECT_THAT(html, HasSubstr("data-a=\"a\\x01rea\""));
  EXPECT_THAT(html, HasSubstr("max_recv=5840 \\x02\xEF\xBF\xBD</title>"));
  for (char c = 0; c < 0x20; ++c) {
    if (c == '\t' || c == '\n') continue;
    EXPECT_EQ(html.find(c), std::string::npos) << int{c};
  }
  EXPECT_EQ(html.find("\xC2\x85"), std::string::npos);
  EXPECT_EQ(html.find("\xFF"), std::string::npos);
}

TEST(HtmlReport, AnchorsAreUniqueAcrossRepetitionsAndClashes) {
  RunReport report;
  report.settings.repeat = 2;
  for (const char* id : {"a/b", "a-b"}) {
    for (unsigned rep : {0u, 1u}) {
      ScenarioResult s;
      s.id = id;
      s.verdict = "PASS";
      s.repetition = rep;
      report.scenarios.push_back(s);
    }
  }
  const std::string html = html_report(report);
  for (const char* anchor : {"s-a-b--1\"", "s-a-b--2\"", "s-a-b--1-2\"", "s-a-b--2-2\""})
    EXPECT_EQ(count(html, std::string(" id=\"") + anchor), 1u) << anchor;
  EXPECT_THAT(html, HasSubstr(">a/<wbr>b #2</a>"));
}

TEST(HtmlReport, HasTheFilterControls) {
  const std::string html = html_report(testing::sample_report());
  EXPECT_THAT(html, HasSubstr("<input type=\"search\" id=\"f-text\""));
  for (const char* v : {"PASS", "FAIL", "ERROR", "SKIP", "XFAIL", "XPASS"})
    EXPECT_THAT(html,
                HasSubstr(std::string("<input type=\"checkbox\" value=\"") + v + "\" checked>"));
  EXPECT_THAT(html, HasSubstr("<select id=\"f-area\""));
  for (const char* area : {"co-call", "datagram", "server", "client-api"})
    EXPECT_EQ(count(html, std::string("<option value=\"") + area + "\">"), 1u) << area;
  EXPECT_THAT(html, HasSubstr("id=\"f-failing\""));
  EXPECT_THAT(html, HasSubstr("<tr data-v=\"FAIL\" data-a=\"datagram\" data-f=\"1\""));
  EXPECT_THAT(html, HasSubstr("data-s=\"timeout/co/hung-server-finite title of "
                              "timeout/co/hung-server-finite cs-tmo-2 cs-fwd-1 cancel\""));
}

TEST(HtmlReport, RendersAnEmptyReport) {
  const std::string html = html_report(RunReport{});
  EXPECT_THAT(html, HasSubstr("no scenarios ran"));
  EXPECT_THAT(html, HasSubstr("no failures"));
  EXPECT_THAT(html, Not(HasSubstr("<details")));
  EXPECT_TRUE(html.ends_with("</html>\n"));
}

TEST(HtmlReport, StaysSmallForHundredsOfScenarios) {
  // 300 runs, the sample's six verdicts 50 times over: no per-row markup may blow up.
  const RunReport sample = testing::sample_report();
  RunReport big = sample;
  big.scenarios.clear();
  for (int i = 0; i < 50; ++i) {
    for (ScenarioResult s : sample.scenarios) {
      s.id += "-" + std::to_string(i);
      big.scenarios.push_back(s);
    }
  }
  const std::string html = html_report(big);
  EXPECT_EQ(count(html, "<details class=\"scn"), 300u);
  EXPECT_LT(html.size(), 300u * 4 * 1024);
}

}  // namespace
}  // namespace rpcfit::reports
