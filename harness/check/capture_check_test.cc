// The capture checks as pure functions: a run's capture against its golden (match, differs,
// no-golden, capture: none, --update-captures recording, refreshing or leaving a golden), the
// observation window of a scenario expecting a call still running, and the live check.
#include "harness/check/capture_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/check/capture_test_util.h"

namespace rpcfit::run {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

NormalizedPdu pdu(Timestamp at, bool to_server, const std::string& text,
                  TransportKind transport = TransportKind::tcp) {
  return testing::normalized_pdu(0, at, to_server, text, transport);
}

// bind, bind_ack, request, co_cancel at 100 ms.
NormalizedCapture exchange() {
  NormalizedCapture c;
  c.pdus = {pdu(1ms, true, "bind call_id=1"), pdu(2ms, false, "bind_ack call_id=1"),
            pdu(3ms, true, "request call_id=1 opnum=1"), pdu(100ms, true, "co_cancel call_id=1")};
  return c;
}

Scenario scenario(const std::string& id = "timeout/co/x") {
  Scenario s;
  s.id = id;
  s.loc.file = "scenarios/x.yaml";
  return s;
}

GoldenInput input(std::optional<NormalizedCapture> golden, bool update = false,
                  bool passing = true) {
  GoldenInput in;
  in.path = "timeout/co/x/capture.pcap";
  in.actual = exchange();
  in.golden = std::move(golden);
  in.update = update;
  in.passing = passing;
  return in;
}

GoldenOutcome golden_check(const Scenario& s, GoldenInput in) {
  return check_golden(s, Observation{}, std::move(in), TimingSettings{});
}

TEST(GoldenCheck, TheSameCaptureMatches) {
  const auto out = golden_check(scenario(), input(exchange()));
  EXPECT_EQ(out.check.status, "match");
  EXPECT_EQ(out.check.golden, "captures/golden/timeout/co/x.pcap");
  EXPECT_EQ(out.check.path, "timeout/co/x/capture.pcap");
  EXPECT_EQ(out.check.pdus, 4u);
  EXPECT_EQ(out.check.digest, exchange().digest());
  EXPECT_FALSE(out.mismatch);
  EXPECT_FALSE(out.record);
}

TEST(GoldenCheck, ADifferenceFailsTheScenarioWithADiff) {
  NormalizedCapture golden = exchange();
  golden.pdus.push_back(pdu(1100ms, true, "orphaned call_id=1"));
  Scenario s = scenario();
  s.capture = "captures/golden/foreign/windows.pcap";
  const auto out = golden_check(s, input(golden));
  EXPECT_EQ(out.check.status, "differs");
  EXPECT_EQ(out.check.detail, "1 missing");
  EXPECT_FALSE(out.check.diff.empty());
  ASSERT_TRUE(out.mismatch);
  EXPECT_EQ(out.mismatch->field, "capture");
  EXPECT_EQ(out.mismatch->expected, "as golden captures/golden/foreign/windows.pcap");
  EXPECT_EQ(out.mismatch->actual, "1 missing (4 PDUs)");
  EXPECT_EQ(out.mismatch->loc.file, "scenarios/x.yaml");
}

TEST(GoldenCheck, TimesWithinTheScenariosToleranceMatch) {
  NormalizedCapture golden = exchange();
  golden.pdus[3].at = 140ms;  // 40 ms off: within the default 50 ms
  EXPECT_EQ(golden_check(scenario(), input(golden)).check.status, "match");
  golden.pdus[3].at = 160ms;
  const auto out = golden_check(scenario(), input(golden));
  EXPECT_EQ(out.check.status, "differs");
  EXPECT_EQ(out.check.detail, "1 mistimed");
}

TEST(GoldenCheck, NoGoldenIsReportedNotFailed) {
  const auto out = golden_check(scenario(), input(std::nullopt));
  EXPECT_EQ(out.check.status, "no-golden");
  EXPECT_THAT(out.check.detail, HasSubstr("rpcfit run --update-captures"));
  EXPECT_FALSE(out.mismatch);
}

TEST(GoldenCheck, CaptureNoneKeepsNoGolden) {
  Scenario s = scenario();
  s.golden = false;
  const auto out = golden_check(s, input(std::nullopt, true));
  EXPECT_EQ(out.check.status, "skipped");
  EXPECT_EQ(out.check.golden, "");
  EXPECT_FALSE(out.record);
  EXPECT_FALSE(out.mismatch);
}

TEST(GoldenCheck, UpdateRecordsRefreshesOrLeavesTheGoldenOfAPassingScenario) {
  auto recorded = golden_check(scenario(), input(std::nullopt, true));
  EXPECT_EQ(recorded.check.status, "recorded");
  ASSERT_TRUE(recorded.record);
  EXPECT_EQ(recorded.record->pdus.size(), 4u);

  NormalizedCapture older = exchange();
  older.pdus.pop_back();
  auto updated = golden_check(scenario(), input(older, true));
  EXPECT_EQ(updated.check.status, "updated");
  EXPECT_EQ(updated.check.detail, "1 extra");
  EXPECT_TRUE(updated.record);
  EXPECT_FALSE(updated.mismatch);

  auto unchanged = golden_check(scenario(), input(exchange(), true));
  EXPECT_EQ(unchanged.check.status, "unchanged");
  EXPECT_FALSE(unchanged.record);
}

TEST(GoldenCheck, UpdateNeverWritesTheGoldenOfAFailingScenario) {
  NormalizedCapture older = exchange();
  older.pdus.pop_back();
  const auto out = golden_check(scenario(), input(older, true, false));
  EXPECT_FALSE(out.record);
  EXPECT_EQ(out.check.status, "differs");
  EXPECT_EQ(out.check.detail, "not updated: the scenario did not pass");
  EXPECT_TRUE(out.mismatch);
}

TEST(GoldenCheck, AScenarioExpectingACallStillRunningIsComparedUpToItsEnd) {
  Scenario s = scenario();
  CallExpect running;
  running.still_running = true;
  s.expect.calls.push_back(running);
  Observation observed;
  observed.ended_at = 50ms;  // the co_cancel at 100 ms came with the shutdown
  NormalizedCapture golden = exchange();
  golden.pdus.pop_back();
  const auto out = check_golden(s, observed, input(golden), TimingSettings{});
  EXPECT_EQ(out.check.status, "match");
  EXPECT_EQ(out.check.pdus, 3u);
}

LiveEvidence live(NormalizedCapture seen) {
  LiveEvidence e;
  e.path = "x/live.pcap";
  e.own_path = "x/capture.pcap";
  e.teed = exchange();
  e.seen = std::move(seen);
  return e;
}

TEST(LiveCheck, SkippedWithoutACaptureOrOffTheNetwork) {
  const auto problem = live_skipped(scenario(), "lo", "no privileges", "a", "b");
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->status, "skipped");
  EXPECT_EQ(problem->detail, "no privileges");
  Scenario pipe = scenario();
  pipe.protseq = "ncacn_np";
  const auto off = live_skipped(pipe, "lo", "", "a", "b");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->detail, "ncacn_np does not cross lo (a Unix-domain socket or a message queue)");
  EXPECT_FALSE(live_skipped(scenario(), "lo", "", "a", "b"));
}

TEST(LiveCheck, EveryPduOnTheWireInOrderMatchesWhateverTheClocks) {
  NormalizedCapture seen = exchange();
  for (auto& p : seen.pdus)
    p.at += 5s;
  const auto out = check_live(scenario(), "lo", live(seen));
  EXPECT_EQ(out.check.status, "match");
  EXPECT_FALSE(out.mismatch);
}

TEST(LiveCheck, ALateDatagramToTheClientIsNoDifference) {
  NormalizedCapture seen = exchange();
  seen.pdus.push_back(pdu(200ms, false, "response seqnum=0", TransportKind::udp));
  const auto out = check_live(scenario(), "lo", live(seen));
  EXPECT_EQ(out.check.status, "match");
  EXPECT_EQ(out.check.detail, "1 datagram(s) to the client after it had let the activity go");
}

TEST(LiveCheck, APduMissingFromTheWireFails) {
  NormalizedCapture seen = exchange();
  seen.pdus.pop_back();
  const auto out = check_live(scenario(), "lo", live(seen));
  EXPECT_EQ(out.check.status, "differs");
  ASSERT_TRUE(out.mismatch);
  EXPECT_EQ(out.mismatch->field, "live capture");
  EXPECT_EQ(out.mismatch->expected, "the PDUs of x/capture.pcap");
  EXPECT_EQ(out.mismatch->actual, "1 missing on lo");
}

}  // namespace
}  // namespace rpcfit::run
