#include "reports/compare.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reports/sample_report.h"

namespace rpcfit::reports {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> labels(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const Change& c : changes)
    out.push_back(c.label);
  return out;
}

ScenarioResult& find(RunReport& r, const std::string& id) {
  for (ScenarioResult& s : r.scenarios)
    if (s.id == id) return s;
  throw std::logic_error("no " + id);
}

TEST(DiffReports, ARunAgainstItselfHasNoChanges) {
  const RunReport r = testing::sample_report();
  const ReportDiff d = diff_reports(r, r);
  EXPECT_FALSE(d.regressed());
  EXPECT_THAT(d.new_failures, IsEmpty());
  EXPECT_THAT(d.fixed, IsEmpty());
  EXPECT_EQ(labels(d.still_failing),
            (std::vector<std::string>{"cancel/co/stale-mark", "faults/udp/lost-cl-cancel",
                                      "server/co/stuck"}));
  EXPECT_THAT(d.drift, IsEmpty());
  EXPECT_THAT(d.capture_changes, IsEmpty());
}

TEST(DiffReports, NewFailuresFixesAddedAndRemoved) {
  const RunReport base = testing::sample_report();
  RunReport now = base;
  find(now, "timeout/co/hung-server-finite").verdict = "FAIL";
  find(now, "timeout/co/hung-server-finite").mismatches = {
      {"x.yaml:3:4", "call c1 status", "RPC_S_CALL_CANCELLED", "RPC_S_OK", ""}};
  find(now, "faults/udp/lost-cl-cancel").verdict = "PASS";
  now.scenarios.erase(now.scenarios.begin() + 3);  // protseq/mq/lab
  ScenarioResult fresh = base.scenarios[0];
  fresh.id = "zz/new";
  fresh.verdict = "ERROR";
  fresh.reason = "watchdog";
  now.scenarios.push_back(fresh);
  const ReportDiff d = diff_reports(base, now);
  EXPECT_TRUE(d.regressed());
  EXPECT_EQ(labels(d.new_failures),
            (std::vector<std::string>{"timeout/co/hung-server-finite", "zz/new"}));
  EXPECT_EQ(d.new_failures[0].before, "PASS");
  EXPECT_EQ(d.new_failures[0].detail,
            "x.yaml:3:4: call c1 status: expected RPC_S_CALL_CANCELLED, got RPC_S_OK");
  EXPECT_EQ(d.new_failures[1].before, "");
  EXPECT_EQ(labels(d.fixed), std::vector<std::string>{"faults/udp/lost-cl-cancel"});
  EXPECT_EQ(labels(d.added), std::vector<std::string>{"zz/new"});
  EXPECT_EQ(labels(d.removed), std::vector<std::string>{"protseq/mq/lab"});

  const std::string text = to_text(d, base, now, "base.json", "new.json");
  EXPECT_THAT(text,
              HasSubstr("New failures (2):\n  FAIL  timeout/co/hung-server-finite  (was PASS)"));
  EXPECT_THAT(text, HasSubstr("  ERROR  zz/new  (new scenario)"));
  EXPECT_THAT(text, HasSubstr("Fixed (1):\n  PASS  faults/udp/lost-cl-cancel  (was FAIL)"));
  EXPECT_THAT(text, HasSubstr("Removed (1):\n  protseq/mq/lab  (was SKIP)"));
  EXPECT_THAT(text, HasSubstr("REGRESSION: 2 new failure(s)"));
  EXPECT_THAT(text, HasSubstr("baseline: base.json (2026-12-06T04:27:09Z, 6 runs, 3 failing"));
}

TEST(DiffReports, TimingDriftBeyondBothThresholds) {
  const RunReport base = testing::sample_report();
  RunReport now = base;
  auto& call = find(now, "timeout/co/hung-server-finite").calls[0];
  call.ended_ms = 1100.7 + 40;  // under 50 ms: not drift
  EXPECT_THAT(diff_reports(base, now).drift, IsEmpty());
  call.ended_ms = 1100.7 + 300;  // 27%
  const ReportDiff d = diff_reports(base, now);
  ASSERT_EQ(d.drift.size(), 1u);
  EXPECT_EQ(d.drift[0].detail, "call c1 ended 1100.7ms -> 1400.7ms (+27.3%)");
  EXPECT_FALSE(d.regressed());
  DiffOptions strict;
  strict.drift_is_regression = true;
  EXPECT_TRUE(diff_reports(base, now, strict).regressed());
  DiffOptions loose;
  loose.drift_percent = 30;
  EXPECT_THAT(diff_reports(base, now, loose).drift, IsEmpty());
}

TEST(DiffReports, CaptureChanges) {
  const RunReport base = testing::sample_report();
  RunReport now = base;
  find(now, "timeout/co/hung-server-finite").capture->digest = "1111111111111111";
  find(now, "timeout/co/hung-server-finite").capture->pdus = 6;
  const ReportDiff d = diff_reports(base, now);
  ASSERT_EQ(d.capture_changes.size(), 1u);
  EXPECT_EQ(d.capture_changes[0].detail, "5 -> 6 PDUs");
  EXPECT_FALSE(d.regressed());
  DiffOptions strict;
  strict.capture_change_is_regression = true;
  EXPECT_TRUE(diff_reports(base, now, strict).regressed());
}

TEST(MergeReports, ShardsBecomeOneRunInIdOrder) {
  const RunReport all = testing::sample_report();
  RunReport a = all;
  RunReport b = all;
  a.scenarios.clear();
  b.scenarios.clear();
  for (std::size_t i = 0; i < all.scenarios.size(); ++i)
    (i % 2 == 0 ? a : b).scenarios.push_back(all.scenarios[i]);
  a.settings.shard = "0/2";
  b.settings.shard = "1/2";
  b.started_at = "2026-12-06T04:27:08Z";
  b.wall_ms = 9000;
  auto merged = merge_reports({a, b});
  ASSERT_TRUE(merged) << merged.error();
  EXPECT_EQ(merged->scenarios.size(), all.scenarios.size());
  EXPECT_TRUE(
      std::is_sorted(merged->scenarios.begin(), merged->scenarios.end(),
                     [](const ScenarioResult& x, const ScenarioResult& y) { return x.id < y.id; }));
  EXPECT_EQ(merged->settings.shard, "");
  EXPECT_EQ(merged->started_at, "2026-12-06T04:27:08Z");
  EXPECT_EQ(merged->wall_ms, 9000);
  EXPECT_EQ(merged->totals().failing(), all.totals().failing());

  auto twice = merge_reports({a, a});
  ASSERT_FALSE(twice);
  EXPECT_THAT(twice.error(), HasSubstr("report 2 runs timeout/co/hung-server-finite again"));
  EXPECT_FALSE(merge_reports({}));
}

}  // namespace
}  // namespace rpcfit::reports
