// The golden comparison with a foreign side: the runtime under test's PDUs are judged on what the
// rules constrain (judged_view), the reference peer's and the implementation's own choices are
// shown as information, never a FAIL; and no golden is recorded from a foreign run.
#include "harness/check/foreign_view.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/check/capture_check.h"
#include "harness/check/capture_test_util.h"

namespace rpcfit::run {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

NormalizedPdu pdu(Timestamp at, bool to_server, const std::string& text) {
  return testing::normalized_pdu(0, at, to_server, text);
}

// What rpcfit's runtime put on the wire: bind, bind_ack, request, co_cancel, fault.
NormalizedCapture golden() {
  NormalizedCapture c;
  c.pdus = {
      pdu(1ms, true, "bind call_id=1 flags=FIRST|LAST max_xmit=5840 assoc_group=0x0"),
      pdu(2ms, false, "bind_ack call_id=1 flags=FIRST|LAST max_xmit=5840"),
      pdu(3ms, true, "request call_id=1 flags=FIRST|LAST ctx=0 opnum=3 alloc_hint=16 stub=16"),
      pdu(100ms, true, "co_cancel call_id=1 flags=LAST|PENDING_CANCEL"),
      pdu(110ms, false,
          "fault call_id=1 flags=FIRST|LAST ctx=0 cancel_count=1 "
          "status=nca_s_fault_cancel")};
  return c;
}

Observation foreign_client() {
  Observation o;
  o.foreign = ForeignSide::client;
  return o;
}

Scenario scenario() {
  Scenario s;
  s.id = "cancel/co/x";
  s.loc.file = "scenarios/x.yaml";
  return s;
}

GoldenOutcome check(NormalizedCapture actual, const Observation& observed, bool update = false) {
  GoldenInput in;
  in.path = "cancel/co/x/capture.pcap";
  in.actual = std::move(actual);
  in.golden = golden();
  in.update = update;
  in.passing = true;
  return check_golden(scenario(), observed, std::move(in), TimingSettings{});
}

TEST(ForeignView, KeepsTheSideUnderTestAndWhatTheRulesConstrain) {
  const NormalizedCapture view = judged_view(golden(), ForeignSide::client);
  ASSERT_EQ(view.pdus.size(), 2u);
  EXPECT_EQ(view.pdus[0].text, "request call_id=1 flags=FIRST|LAST opnum=3");
  EXPECT_EQ(view.pdus[1].text, "co_cancel call_id=1 flags=LAST|PENDING_CANCEL");
  const NormalizedCapture server = judged_view(golden(), ForeignSide::server);
  ASSERT_EQ(server.pdus.size(), 1u);
  EXPECT_EQ(server.pdus[0].text,
            "fault call_id=1 flags=FIRST|LAST cancel_count=1 "
            "status=nca_s_fault_cancel");
}

TEST(ForeignView, DropsTheFlagsAnImplementationChooses) {
  NormalizedCapture c;
  c.pdus = {pdu(1ms, true, "request call_id=2 flags=FIRST|LAST|CONC_MPX|OBJECT_UUID opnum=1"),
            pdu(2ms, true, "request seqnum=0 fragnum=0 opnum=1 flags1=NOFACK|IDEMPOTENT body=8")};
  const NormalizedCapture view = judged_view(c, ForeignSide::client);
  ASSERT_EQ(view.pdus.size(), 2u);
  EXPECT_EQ(view.pdus[0].text, "request call_id=2 flags=FIRST|LAST opnum=1");
  EXPECT_EQ(view.pdus[1].text, "request seqnum=0 opnum=1");
}

TEST(ForeignView, WhatTheClientMayChooseAndTheServersPdusAreInformationOnly) {
  NormalizedCapture actual = golden();
  actual.pdus[0].text = "bind call_id=1 flags=FIRST|LAST max_xmit=4280 assoc_group=0x0";
  actual.pdus[2].text = "request call_id=1 flags=FIRST|LAST ctx=1 opnum=3 alloc_hint=24 stub=24";
  actual.pdus.push_back(pdu(3000ms, false, "response call_id=1 flags=FIRST|LAST cancel_count=0"));
  const auto out = check(actual, foreign_client());
  EXPECT_EQ(out.check.status, "match");
  EXPECT_THAT(out.check.detail, HasSubstr("as information"));
  EXPECT_FALSE(out.check.diff.empty());
  EXPECT_FALSE(out.mismatch);
  // The same capture from rpcfit's own runtime in both roles differs.
  EXPECT_TRUE(check(actual, Observation{}).mismatch);
}

TEST(ForeignView, AClientThatSendsNoCancelFails) {
  NormalizedCapture actual = golden();
  actual.pdus.erase(actual.pdus.begin() + 3);  // no co_cancel
  const auto out = check(actual, foreign_client());
  EXPECT_EQ(out.check.status, "differs");
  ASSERT_TRUE(out.mismatch);
  EXPECT_THAT(out.mismatch->actual, HasSubstr("1 missing"));
}

TEST(ForeignView, AClientsLateCancelFails) {
  NormalizedCapture actual = golden();
  actual.pdus[3].at = 400ms;
  EXPECT_TRUE(check(actual, foreign_client()).mismatch);
}

TEST(ForeignView, NoGoldenIsRecordedFromAForeignRun) {
  NormalizedCapture actual = golden();
  actual.pdus[3].text = "co_cancel call_id=1 flags=LAST";
  const auto out = check(actual, foreign_client(), true);
  EXPECT_FALSE(out.record);
  EXPECT_THAT(out.check.detail, HasSubstr("not updated"));
}

}  // namespace
}  // namespace rpcfit::run
