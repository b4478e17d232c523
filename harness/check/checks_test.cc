// The step and call parts of check(), to_string(Mismatch), and the order of all parts.
#include "harness/check/checks.h"

#include <gtest/gtest.h>

#include "harness/check/check_test_util.h"
#include "harness/core/digest.h"

namespace rpcfit::run {
namespace {

using std::chrono::milliseconds;
using testing::dump;
using testing::line;
using Dumps = std::vector<std::string>;

Step step(StepKind kind, Duration at, SourceLoc loc) {
  Step s;
  s.kind = kind;
  s.at = at;
  s.loc = std::move(loc);
  return s;
}

StepRecord ran(std::size_t index) {
  StepRecord r;
  r.step = index;
  r.ran = true;
  return r;
}

// call at 0, RpcCancelThreadEx at 100ms that must return RPC_S_OK, CloseHandle of a handle that
// must be refused.
struct StepFixture {
  Scenario scenario;
  Observation observed;
  StepFixture() {
    scenario.steps.push_back(step(StepKind::call, Duration{0}, line(5)));
    Step cancel = step(StepKind::cancel, milliseconds(100), line(7));
    cancel.expect = status::kOk;
    cancel.expect_loc = line(7, 40);
    scenario.steps.push_back(cancel);
    Step close = step(StepKind::close_handle, milliseconds(200), line(9));
    close.expect = status::kInvalidArg;
    scenario.steps.push_back(close);
    observed.steps = {ran(0), ran(1), ran(2)};
    observed.steps[1].returned = status::kOk;
    observed.steps[2].handle_ok = false;
  }
  Dumps run() const { return dump(check(scenario, observed, TimingSettings{})); }
};

TEST(CheckSteps, PassWhenEveryStepReturnedWhatItExpects) {
  EXPECT_EQ(StepFixture().run(), Dumps{});
}

TEST(CheckSteps, WrongStatusByName) {
  StepFixture f;
  f.observed.steps[1].returned = status::kNotCancelled;
  EXPECT_EQ(f.run(),
            Dumps{"step 2 (cancel) returned | RPC_S_OK | RPC_S_NOT_CANCELLED | s.yaml:7:40 | "});
}

// An API that never returned (the watchdog's case) is its step's FAIL of CS-RET-1, whatever it
// was expected to return; so is one with no expectation.
TEST(CheckSteps, AnApiThatNeverReturnedBreaksRet1) {
  StepFixture f;
  f.scenario.spec = {"CS-OK-1"};
  f.observed.steps[1].pending = true;
  f.observed.steps[1].returned.reset();
  f.observed.steps[1].began = milliseconds(100);
  f.observed.ended_at = milliseconds(31100);
  const auto mismatches = check(f.scenario, f.observed, TimingSettings{});
  ASSERT_EQ(mismatches.size(), 1u);
  EXPECT_EQ(dump(mismatches),
            Dumps{"step 2 (cancel) returned | RPC_S_OK promptly | no return by 31.100s (called at "
                  "100ms) | s.yaml:7:40 | "});
  EXPECT_EQ(mismatches[0].rules, (std::vector<std::string>{"CS-RET-1", "CS-OK-1"}));
  f.scenario.steps[1].expect.reset();
  EXPECT_EQ(f.run(), Dumps{"step 2 (cancel) returned | a prompt return | no return by 31.100s "
                           "(called at 100ms) | s.yaml:7:3 | "});
}

TEST(CheckSteps, UnnamedStatusAsNumber) {
  StepFixture f;
  f.observed.steps[1].returned = 4242;
  EXPECT_EQ(f.run(), Dumps{"step 2 (cancel) returned | RPC_S_OK | 4242 | s.yaml:7:40 | "});
}

TEST(CheckSteps, CloseHandleComparesSuccess) {
  StepFixture f;
  f.observed.steps[2].handle_ok = true;
  // No expect_loc: the step's own line.
  EXPECT_EQ(f.run(), Dumps{"step 3 (close_handle) returned | failure | success | s.yaml:9:3 | "});
  f.scenario.steps[2].expect = status::kOk;
  EXPECT_EQ(f.run(), Dumps{});
  f.observed.steps[2].handle_ok.reset();
  EXPECT_EQ(f.run(),
            Dumps{"step 3 (close_handle) returned | success | nothing recorded | s.yaml:9:3 | "});
}

TEST(CheckSteps, StepThatDidNotRun) {
  StepFixture f;
  f.observed.steps[1].ran = false;
  f.observed.steps.pop_back();
  EXPECT_EQ(f.run(),
            (Dumps{"step 2 (cancel) returned | RPC_S_OK | did not run | s.yaml:7:40 | ",
                   "step 3 (close_handle) returned | failure | did not run | s.yaml:9:3 | "}));
}

TEST(CheckSteps, StepWithoutExpectMayNotRun) {
  StepFixture f;
  f.observed.steps.erase(f.observed.steps.begin());
  EXPECT_EQ(f.run(), Dumps{});
}

TEST(CheckSteps, RanWithoutAStatus) {
  StepFixture f;
  f.observed.steps[1].returned.reset();
  EXPECT_EQ(f.run(),
            Dumps{"step 2 (cancel) returned | RPC_S_OK | nothing recorded | s.yaml:7:40 | "});
}

// CS-RET-1: returns_within bounds how long the API took, widened by the real-time floor and the
// tolerance scale as every timing check is.
TEST(CheckSteps, ReturnsWithin) {
  StepFixture f;
  f.scenario.steps[1].returns_within = milliseconds(50);
  f.scenario.steps[1].returns_within_loc = line(7, 60);
  f.observed.steps[1].began = milliseconds(100);
  f.observed.steps[1].ended = milliseconds(101);
  EXPECT_EQ(f.run(), Dumps{});
  f.observed.steps[1].ended = milliseconds(250);
  EXPECT_EQ(f.run(), Dumps{"step 2 (cancel) took | at most 50ms | 150ms | s.yaml:7:60 | allowed "
                           "50ms"});
  // At time scale 0.05 the 20 ms real-time floor is 400 ms of scenario time.
  TimingSettings scaled;
  scaled.time_scale = 0.05;
  EXPECT_EQ(dump(check(f.scenario, f.observed, scaled)), Dumps{});
  TimingSettings wider;
  wider.tolerance_scale = 4;
  EXPECT_EQ(dump(check(f.scenario, f.observed, wider)), Dumps{});
  f.observed.steps.erase(f.observed.steps.begin() + 1);
  EXPECT_EQ(f.run(), (Dumps{"step 2 (cancel) returned | RPC_S_OK | did not run | s.yaml:7:40 | ",
                            "step 2 (cancel) took | at most 50ms | did not run | s.yaml:7:60 | "}));
}

// call c1 at 0, cancel at 100ms; c1 must raise RPC_S_CALL_CANCELLED at 2.1s with no output.
struct CallFixture {
  Scenario scenario;
  Observation observed;
  CallFixture() {
    scenario.steps.push_back(step(StepKind::call, Duration{0}, line(5)));
    scenario.steps.push_back(step(StepKind::cancel, milliseconds(100), line(6)));
    CallExpect c;
    c.call = "c1";
    c.loc = line(12);
    c.status = status::kCallCancelled;
    c.status_loc = line(12, 11);
    c.ended_at = ExpectedTime{milliseconds(2100), line(12, 40)};
    c.output_bytes = 0;
    c.output_loc = line(12, 60);
    scenario.expect.calls.push_back(c);
    CallRecord r;
    r.id = "c1";
    r.started = true;
    r.ended = true;
    r.ended_at = milliseconds(2150);
    r.status = status::kCallCancelled;
    observed.calls.push_back(r);
  }
  CallRecord& record() { return observed.calls[0]; }
  CallExpect& expect() { return scenario.expect.calls[0]; }
  Dumps run() const { return dump(check(scenario, observed, TimingSettings{})); }
};

TEST(CheckCalls, PassWhenTheCallEndedAsExpected) {
  EXPECT_EQ(CallFixture().run(), Dumps{});
}

TEST(CheckCalls, StatusOfACallThatReturned) {
  CallFixture f;
  f.record().returned = true;
  f.record().status = status::kCallCancelled;  // ignored: it returned
  EXPECT_EQ(f.run(), Dumps{"call c1 status | RPC_S_CALL_CANCELLED | RPC_S_OK | s.yaml:12:11 | "});
}

TEST(CheckCalls, StatusCarriesTheExceptionText) {
  CallFixture f;
  f.record().status = status::kCommFailure;
  f.record().detail = "RpcException 1820";
  f.expect().status_loc = {};
  EXPECT_EQ(f.run(), Dumps{"call c1 status | RPC_S_CALL_CANCELLED | RPC_S_COMM_FAILURE | "
                           "s.yaml:12:3 | RpcException 1820"});
}

TEST(CheckCalls, ReturnedOkExpected) {
  CallFixture f;
  f.expect().status = status::kOk;
  f.record().returned = true;
  EXPECT_EQ(f.run(), Dumps{});
}

TEST(CheckCalls, EndedTooLate) {
  CallFixture f;
  f.record().ended_at = milliseconds(2312);
  // interval 2s from the cancel: tolerance 100ms
  EXPECT_EQ(f.run(), Dumps{"call c1 ended at | 2.100s | 2.312s | s.yaml:12:40 | tolerance 0.100s"});
}

TEST(CheckCalls, EndedTooEarlyUnderAScaledTolerance) {
  CallFixture f;
  f.record().ended_at = milliseconds(1850);
  EXPECT_EQ(f.run(), Dumps{"call c1 ended at | 2.100s | 1.850s | s.yaml:12:40 | tolerance 0.100s"});
  TimingSettings slow;
  slow.tolerance_scale = 3.0;
  EXPECT_TRUE(check(f.scenario, f.observed, slow).empty());
}

// A call the runtime under test never ended (the watchdog's case): one mismatch for the outcome
// it never reached, at the instant the observation closed, naming CS-NEV-1 and the cited rules.
TEST(CheckCalls, StillRunningFailsEveryEndExpectation) {
  CallFixture f;
  f.scenario.spec = {"CS-OK-1", "CS-TMO-2"};
  f.record().ended = false;
  f.observed.ended_at = milliseconds(31100);
  EXPECT_EQ(f.run(), (Dumps{
                         "call c1 status | RPC_S_CALL_CANCELLED at 2.100s | still running at "
                         "31.100s | s.yaml:12:11 | ",
                         "call c1 output_bytes | 0 | still running at 31.100s | s.yaml:12:60 | ",
                     }));
  const auto mismatches = check(f.scenario, f.observed, TimingSettings{});
  EXPECT_EQ(to_string(mismatches[0]),
            "s.yaml:12:11: call c1 status: expected RPC_S_CALL_CANCELLED at 2.100s, got still "
            "running at 31.100s [CS-NEV-1, CS-TMO-2]");
}

// A call no expectation mentions still hangs its caller: CS-NEV-1, at its call step.
TEST(CheckCalls, AnUnmentionedCallThatNeverEndedBreaksNev1) {
  CallFixture f;
  f.scenario.steps[0].call = "c1";
  f.scenario.expect.calls.clear();
  f.record().ended = false;
  f.observed.ended_at = milliseconds(31100);
  const auto mismatches = check(f.scenario, f.observed, TimingSettings{});
  EXPECT_EQ(dump(mismatches), (Dumps{"call c1 ended | an end (no call hangs its caller) | still "
                                     "running at 31.100s | s.yaml:5:3 | "}));
  ASSERT_EQ(mismatches.size(), 1u);
  EXPECT_EQ(mismatches[0].rules, std::vector<std::string>{"CS-NEV-1"});
  f.record().ended = true;
  EXPECT_EQ(f.run(), Dumps{});
}

// A call that ended at the wrong time names the cancels aimed at it and the timeout each applies,
// RpcCancelThread's from the thread's RpcMgmtSetCancelTimeout (CS-MGMT-2), and the deadline.
TEST(CheckCalls, ALateEndNamesTheTimeoutThatShouldHaveApplied) {
  CallFixture f;
  f.scenario.steps.clear();
  Step set = step(StepKind::set_cancel_timeout, Duration{0}, line(4));
  set.timeout = 2;
  Step refused = step(StepKind::set_cancel_timeout, Duration{0}, line(5));
  refused.timeout = -2;
  refused.expect = status::kInvalidTimeout;
  Step call = step(StepKind::call, Duration{0}, line(6));
  call.call = "c1";
  Step cancel = step(StepKind::cancel_thread, milliseconds(500), line(7));
  f.scenario.steps = {set, refused, call, cancel};
  f.expect().ended_at = ExpectedTime{milliseconds(2500), line(12, 40)};
  f.expect().output_bytes.reset();
  f.record().ended_at = milliseconds(500);  // as if the timeout were 0
  f.observed.steps = {ran(0), ran(1), ran(2), ran(3)};
  f.observed.steps[0].returned = status::kOk;
  f.observed.steps[1].returned = status::kInvalidTimeout;
  EXPECT_EQ(f.run(),
            Dumps{"call c1 ended at | 2.500s | 500ms | s.yaml:12:40 | tolerance 0.100s; cancels: "
                  "cancel_thread of step 4 at 500ms, timeout 2s (RpcMgmtSetCancelTimeout(2) of "
                  "step 1); the earliest deadline, 2.500s, is when an unanswered call is "
                  "orphaned"});
}

TEST(CheckCalls, OutputBytes) {
  CallFixture f;
  f.record().output = Bytes(64, 0);
  EXPECT_EQ(f.run(), Dumps{"call c1 output_bytes | 0 | 64 | s.yaml:12:60 | "});
}

// A call that returned: its bytes are those the test interface answers to its input (the echo, or
// a normal server's response_size counting bytes), stated or not (CS-RES-2).
struct OutputFixture : CallFixture {
  OutputFixture() {
    scenario.spec = {"CS-RES-2"};
    scenario.steps[0].call = "c1";
    scenario.steps[0].input = {0x01, 0x02, 0x03};
    CallExpect& e = expect();
    e.status = status::kOk;
    e.ended_at.reset();
    e.output_bytes.reset();
    e.output_loc = {};
    record().returned = true;
    record().status = status::kOk;
    record().output = {0x01, 0x02, 0x03};
  }
};

TEST(CheckCalls, TheOutputIsTheTestInterfacesAnswerToTheInput) {
  OutputFixture f;
  EXPECT_EQ(f.run(), Dumps{});
  f.record().output = {0x01, 0x02, 0x04};  // same length, same status
  const auto mismatches = check(f.scenario, f.observed, TimingSettings{});
  EXPECT_EQ(dump(mismatches),
            Dumps{"call c1 output | 3 bytes 01 02 03 (fnv1a64:" + hex64(fnv1a64(Bytes{1, 2, 3})) +
                  ") | 3 bytes 01 02 04 (fnv1a64:" + hex64(fnv1a64(Bytes{1, 2, 4})) +
                  ") | s.yaml:12:11 | the test interface's answer: the input echoed; first "
                  "difference at byte 2"});
  EXPECT_EQ(mismatches[0].rules, std::vector<std::string>{"CS-RES-2"});
  // A normal server with response_size answers counting bytes instead.
  f.scenario.server.behaviour.response_size = 3;
  f.record().output = {0x00, 0x01, 0x02};
  EXPECT_EQ(f.run(), Dumps{});
  // So does a call no expectation mentions.
  f.scenario.expect.calls.clear();
  f.record().output = {0x00, 0x01, 0x07};
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_EQ(f.run()[0].rfind("call c1 output | 3 bytes 00 01 02", 0), 0u) << f.run()[0];
}

TEST(CheckCalls, StatedOutputHexAndDigest) {
  OutputFixture f;
  f.expect().output = Bytes{0xAA};
  f.expect().output_loc = line(12, 70);
  ASSERT_EQ(f.run().size(), 1u);
  EXPECT_EQ(f.run()[0].rfind("call c1 output | 1 byte aa (fnv1a64:", 0), 0u) << f.run()[0];
  EXPECT_NE(f.run()[0].find("| s.yaml:12:70 | first difference at byte 0"), std::string::npos);
  f.expect().output.reset();
  f.expect().output_digest = digest_text(Bytes{0x01, 0x02, 0x03});
  EXPECT_EQ(f.run(), Dumps{});
  f.expect().output_digest = "fnv1a64:0000000000000000";
  EXPECT_EQ(f.run(), Dumps{"call c1 output | fnv1a64:0000000000000000 | 3 bytes 01 02 03 "
                           "(" +
                           digest_text(Bytes{1, 2, 3}) + ") | s.yaml:12:70 | "});
}

TEST(CheckCalls, MissingOrNeverStarted) {
  CallFixture f;
  f.record().started = false;
  EXPECT_EQ(f.run(), Dumps{"call c1 | started | never started | s.yaml:12:3 | "});
  f.record().id = "c2";
  EXPECT_EQ(f.run(), Dumps{"call c1 | started | no record | s.yaml:12:3 | "});
}

TEST(CheckCalls, StillRunningExpected) {
  CallFixture f;
  CallExpect& e = f.expect();
  e.status.reset();
  e.ended_at.reset();
  e.output_bytes.reset();
  e.still_running = true;
  f.record().detail = "cancelled";
  EXPECT_EQ(f.run(), Dumps{"call c1 still_running | still running | ended at 2.150s with "
                           "RPC_S_CALL_CANCELLED | s.yaml:12:3 | cancelled"});
  f.record().ended = false;
  EXPECT_EQ(f.run(), Dumps{});
}

TEST(Mismatch, ToString) {
  Mismatch m{"call c1 status", "RPC_S_CALL_CANCELLED", "RPC_S_OK", line(12, 5), "detail"};
  EXPECT_EQ(to_string(m),
            "s.yaml:12:5: call c1 status: expected RPC_S_CALL_CANCELLED, got RPC_S_OK (detail)");
  m.detail.clear();
  EXPECT_EQ(to_string(m),
            "s.yaml:12:5: call c1 status: expected RPC_S_CALL_CANCELLED, got RPC_S_OK");
  m.loc = SourceLoc{"s.yaml", 0, 0};
  EXPECT_EQ(to_string(m), "s.yaml: call c1 status: expected RPC_S_CALL_CANCELLED, got RPC_S_OK");
  m.loc = {};
  EXPECT_EQ(to_string(m), "call c1 status: expected RPC_S_CALL_CANCELLED, got RPC_S_OK");
}

TEST(Check, NoExpectationsNoMismatches) {
  Observation o;
  o.calls.push_back(CallRecord{});
  o.server_calls.push_back(ServerCallRecord{});
  o.wire.push_back(WirePdu{});
  EXPECT_TRUE(check(Scenario{}, o, TimingSettings{}).empty());
}

TEST(Check, StepsThenCallsThenServerThenWire) {
  CallFixture f;
  Step cancel = step(StepKind::cancel_thread, milliseconds(50), line(20));
  cancel.expect = status::kOk;
  f.scenario.steps.push_back(cancel);
  f.scenario.expect.server = ServerExpect{line(30), 1, {}};
  f.scenario.expect.wire = WireExpectations{line(40), WireMatch::exact, {}, {}};
  f.observed.wire.push_back(WirePdu{});  // a PDU that does not decode
  f.record().output = Bytes(1, 0);
  const auto mismatches = check(f.scenario, f.observed, TimingSettings{});
  Dumps fields;
  for (const auto& m : mismatches)
    fields.push_back(m.field);
  EXPECT_EQ(fields, (Dumps{"step 3 (cancel_thread) returned", "call c1 output_bytes",
                           "server calls", "wire length"}));
}

}  // namespace
}  // namespace rpcfit::run
