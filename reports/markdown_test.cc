#include "reports/markdown.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "reports/escape.h"
#include "reports/sample_report.h"

namespace rpcfit::reports {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

// The table whose header line is `header`: its rows, up to the first line that is not one.
std::vector<std::string> table_rows(const std::string& md, const std::string& header) {
  const auto lines = lines_of(md);
  auto it = std::find(lines.begin(), lines.end(), header);
  if (it == lines.end() || ++it == lines.end()) return {};
  std::vector<std::string> rows;
  for (++it; it != lines.end() && it->starts_with("|"); ++it)
    rows.push_back(*it);
  return rows;
}

const std::string kNotPassingHeader = "| verdict | scenario | first mismatch or reason | where |";

// The cell separators of a table row: the pipes no backslash escapes.
std::size_t separators(const std::string& row) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\') {
      ++i;
    } else if (row[i] == '|') {
      ++n;
    }
  }
  return n;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

RunReport only_passing() {
  RunReport r = testing::sample_report();
  std::erase_if(r.scenarios, [](const ScenarioResult& s) { return failing_verdict(s.verdict); });
  return r;
}

// `n` copies of the sample's FAIL, with ids fail/000, fail/001, ...
RunReport failing_runs(std::size_t n) {
  RunReport r = testing::sample_report();
  const ScenarioResult fail = r.scenarios[1];
  r.scenarios.clear();
  for (std::size_t i = 0; i < n; ++i) {
    r.scenarios.push_back(fail);
    char id[32];
    std::snprintf(id, sizeof id, "fail/%03zu", i);
    r.scenarios.back().id = id;
  }
  return r;
}

TEST(MarkdownSummary, HeadlineSaysWhetherTheRunFailed) {
  EXPECT_THAT(markdown_summary(testing::sample_report()), StartsWith("## rpcfit: **FAILED**\n\n"));
  EXPECT_THAT(markdown_summary(only_passing()), StartsWith("## rpcfit: **PASSED**\n\n"));
}

TEST(MarkdownSummary, TotalsSeedAndSettings) {
  const std::string md = markdown_summary(testing::sample_report());
  EXPECT_THAT(md, HasSubstr("\n6 runs: 1 passed, 1 failed, 1 errors, 1 skipped, 1 xfail, 1 xpass "
                            "in 2.79s\n"));
  EXPECT_THAT(md, HasSubstr("\nSeed `3913299748625767897` · time scale 1 · tolerance scale 1 · "
                            "repeat 1 · jobs 2 · paths scenarios · driver inproc · rpcfit 0.1.0 · "
                            "started 2026-12-06T04:27:09Z\n"));

  RunReport r = testing::sample_report();
  r.settings.filters = {"cancel/*"};
  r.settings.shard = "2/4";
  r.settings.level = "must";
  r.settings.time_scale = 2.5;
  r.settings.fail_fast = true;
  const std::string set = markdown_summary(r);
  EXPECT_THAT(set, HasSubstr("time scale 2.5 · "));
  EXPECT_THAT(set, HasSubstr(" · filters cancel/\\* · level must · shard 2/4 · fail-fast · "));
}

TEST(MarkdownSummary, ReplaysTheFailingScenarios) {
  RunReport r = testing::sample_report();
  r.settings.repeat = 2;
  r.settings.tolerance_scale = 1.5;
  r.scenarios[2].file = "scenarios/it's here.yaml";
  EXPECT_THAT(markdown_summary(r),
              HasSubstr("```sh\nrpcfit run scenarios/faults/udp/lost-cl-cancel.yaml "
                        "'scenarios/it'\\''s here.yaml' scenarios/cancel/co/stale-mark.yaml "
                        "--seed 3913299748625767897 --repeat 2 --tolerance-scale 1.5\n```\n"));
  EXPECT_THAT(markdown_summary(only_passing()), Not(HasSubstr("Replay")));
}

TEST(MarkdownSummary, TableOfTheRunsPlayedAgainAfterAStall) {
  const std::string md = markdown_summary(testing::sample_report());
  EXPECT_THAT(md,
              HasSubstr("### Played again after a stall (1)\n\n"
                        "| scenario | verdict | attempts | discarded |\n|---|---|---:|---|\n"
                        "| timeout/co/hung-server-finite | PASS | 2 | attempt 1 of 2, FAIL while "
                        "the machine stalled for 152.2ms: breaks CS-TMO-2 &lt;late&gt; |\n"));
  RunReport none = testing::sample_report();
  none.scenarios[0].retried.clear();
  EXPECT_THAT(markdown_summary(none), Not(HasSubstr("Played again")));
}

TEST(MarkdownSummary, TableOfTheRunsThatDidNotPassFailingFirst) {
  const std::string md = markdown_summary(testing::sample_report());
  EXPECT_THAT(md,
              HasSubstr("### Not passing (5)\n\n" + kNotPassingHeader + "\n|---|---|---|---|\n"));
  EXPECT_THAT(
      table_rows(md, kNotPassingHeader),
      ElementsAre("| FAIL | faults/udp/lost-cl-cancel | server call 1 saw\\_cancel\\_at: expected "
                  "100ms, got 359.788ms (+1 more) | scenarios/faults/udp/lost-cl-cancel.yaml:18 |",
                  "| ERROR | server/co/stuck | watchdog: step 2 (cancel, x.yaml:9:5): "
                  "RpcCancelThreadEx did not return | scenarios/server/co/stuck.yaml |",
                  "| XPASS | cancel/co/stale-mark | marked as a known failure (bug 7) but passed | "
                  "scenarios/cancel/co/stale-mark.yaml |",
                  "| SKIP | protseq/mq/lab | the lab &lt;printer&gt; &amp; co are on fire | "
                  "scenarios/protseq/mq/lab.yaml |",
                  "| XFAIL | cancel/co/known-bug | known bug 42 | "
                  "scenarios/cancel/co/known-bug.yaml:12 |"));
  EXPECT_THAT(markdown_summary(only_passing()), HasSubstr("### Not passing (2)"));
}

TEST(MarkdownSummary, TableCellsEscapePipesBackticksLineBreaksAndHtml) {
  RunReport r = testing::sample_report();
  r.scenarios[3].reason = "a | b `c` d\r\nnext <x> & *y* [z](u) \\";
  r.scenarios[3].id = "id|with|pipes";
  const std::string md = markdown_summary(r);
  const auto rows = table_rows(md, kNotPassingHeader);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[3],
            "| SKIP | id\\|with\\|pipes | a \\| b \\`c\\` d<br>next &lt;x&gt; &amp; \\*y\\* "
            "\\[z\\](u) \\\\ | scenarios/protseq/mq/lab.yaml |");
  for (const auto& row : rows)
    EXPECT_EQ(separators(row), 5u) << row;
}

TEST(MarkdownSummary, DetailsOfEachFailingRunWithMismatchesAndDiff) {
  const std::string md = markdown_summary(testing::sample_report());
  EXPECT_EQ(count(md, "<details>"), 3u);  // FAIL, ERROR, XPASS
  EXPECT_EQ(count(md, "</details>"), 3u);
  EXPECT_THAT(
      md, HasSubstr("<details><summary>FAIL faults/udp/lost-cl-cancel: 2 mismatches, capture "
                    "differs</summary>\n\n```text\n"
                    "scenarios/faults/udp/lost-cl-cancel.yaml · ncadg_ip_udp · seed "
                    "1234567890123456789\n"
                    "faults: drop,pdu=cl_cancel,nth=1 (fault seed 16525389670970726842)\n\n"
                    "scenarios/faults/udp/lost-cl-cancel.yaml:18:28: server call 1 saw_cancel_at: "
                    "expected 100ms, got 359.788ms (tolerance 50ms) [CS-DG-2]\n"
                    "scenarios/faults/udp/lost-cl-cancel.yaml:24:54: wire[1] at: expected 100ms, "
                    "got 352.293ms (tolerance 50ms; #3 at 352.293ms: out cl_cancel cancel_id=1 "
                    "<&\"|`>) [CS-DG-1, CS-DG-5]\n"
                    "capture differs from captures/golden/faults/udp/lost-cl-cancel.pcap:\n"
                    "  #1   0.000  c>s request seqnum=0\n"
                    "- #2 350.000  c>s cl_cancel\n"
                    "+ #2 352.293  c>s cl_cancel cancel_id=2\n"
                    "```\n\n</details>\n"));
  EXPECT_THAT(md, HasSubstr("<details><summary>ERROR server/co/stuck</summary>"));
  EXPECT_THAT(md, HasSubstr("<details><summary>XPASS cancel/co/stale-mark</summary>"));
  EXPECT_THAT(md, Not(HasSubstr("<summary>XFAIL")));
  EXPECT_THAT(markdown_summary(only_passing()), Not(HasSubstr("<details>")));
}

TEST(MarkdownSummary, SummaryIsHtmlEscapedAndFenceOutlastsBackticksInside) {
  RunReport r = testing::sample_report();
  r.scenarios[2].id = "<b>bold</b> & co";
  r.scenarios[2].reason = "look: ```` four\n``` three";
  const std::string md = markdown_summary(r);
  EXPECT_THAT(md, HasSubstr("<summary>ERROR &lt;b&gt;bold&lt;/b&gt; &amp; co</summary>"));
  EXPECT_THAT(md, HasSubstr("\n`````text\n"));
  EXPECT_THAT(md, HasSubstr("``` three\n`````\n"));
}

TEST(MarkdownSummary, CapsDetailSectionsTableRowsAndLines) {
  const std::string md = markdown_summary(failing_runs(130));
  EXPECT_EQ(count(md, "<details>"), 50u);
  EXPECT_THAT(md, HasSubstr("_80 more failing runs are not shown; report.json has them all._"));
  EXPECT_EQ(table_rows(md, kNotPassingHeader).size(), 100u);
  EXPECT_THAT(md, HasSubstr("_30 more runs are not shown; report.json has them all._"));

  RunReport r = failing_runs(1);
  r.scenarios[0].capture->diff.assign(500, "- #9 1.000  c>s nop");
  const std::string lines = markdown_summary(r);
  EXPECT_EQ(count(lines, "- #9 1.000  c>s nop\n"), 200u - 6u);  // after the 6 lines before it
  EXPECT_THAT(lines, HasSubstr("... 306 more lines; report.json has them all\n```"));
}

TEST(MarkdownSummary, TablePerArea) {
  const std::string md = markdown_summary(testing::sample_report());
  const std::string header = "| area | runs | passed | failing |";
  EXPECT_THAT(md, HasSubstr("### By area\n\n" + header + "\n|---|---:|---:|---:|\n"));
  EXPECT_THAT(table_rows(md, header),
              ElementsAre("| co-call | 3 | 1 | 1 |", "| datagram | 1 | 0 | 1 |",
                          "| server | 1 | 0 | 1 |", "| client-api | 1 | 0 | 0 |"));
}

TEST(MarkdownSummary, OutputIsValidUtf8WithoutControlCharacters) {
  RunReport r = testing::sample_report();
  r.scenarios[1].mismatches[0].actual = "\xFF\x01";
  r.scenarios[3].reason = "bad \xC3 byte \x1B[0m";
  const std::string md = markdown_summary(r);
  EXPECT_EQ(printable_utf8(md), md);
  EXPECT_THAT(md, HasSubstr("got \xEF\xBF\xBD\\x01"));
  EXPECT_THAT(md, HasSubstr("bad \xEF\xBF\xBD byte \\\\x1B\\[0m"));  // in a table cell
}

TEST(MarkdownSummary, EmptyRun) {
  RunReport r = testing::sample_report();
  r.scenarios.clear();
  const std::string md = markdown_summary(r);
  EXPECT_THAT(md, StartsWith("## rpcfit: **PASSED**\n\n0 runs: 0 passed,"));
  EXPECT_THAT(md, Not(HasSubstr("|")));
}

}  // namespace
}  // namespace rpcfit::reports
