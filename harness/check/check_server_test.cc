// The server part of check(): per-call expectations against the behaviours' events.
#include <gtest/gtest.h>

#include "harness/check/check_test_util.h"
#include "harness/check/checks.h"

namespace rpcfit::run {
namespace {

using server::EventKind;
using std::chrono::milliseconds;
using testing::dump;
using testing::line;
using Dumps = std::vector<std::string>;

server::BehaviourEvent event(EventKind kind, Duration at, RpcStatus status = status::kOk) {
  server::BehaviourEvent e;
  e.kind = kind;
  e.at = at;
  e.call_id = 1;
  e.opnum = 1;
  e.status = status;
  return e;
}

// A cancel-aware routine for opnum 1 entered at 5ms that sees the cancel sent at 100ms at 110ms
// and raises it at 130ms; the runtime sends the fault. Every expectation holds.
struct ServerFixture {
  Scenario scenario;
  Observation observed;
  ServerFixture() {
    Step call;
    scenario.steps.push_back(call);
    Step cancel;
    cancel.kind = StepKind::cancel;
    cancel.at = milliseconds(100);
    scenario.steps.push_back(cancel);

    ServerCallExpect c;
    c.loc = line(20);
    c.opnum = 1;
    c.saw_cancel = true;
    c.saw_cancel_at = ExpectedTime{milliseconds(110), line(22, 20)};
    c.finished = true;
    c.finished_status = status::kCallCancelled;
    c.finished_at = ExpectedTime{milliseconds(130), line(24, 20)};
    c.started_at = ExpectedTime{milliseconds(5), line(25, 20)};
    c.result = ServerResult::fault;
    c.fault_status = nca::kFaultCancel;
    for (const char* key : {"opnum", "saw_cancel", "saw_cancel_at", "finished", "finished_status",
                            "finished_at", "result", "fault_status"}) {
      c.key_locs[key] = line(30 + static_cast<int>(c.key_locs.size()), 7);
    }
    scenario.expect.server = ServerExpect{line(19), 1, {c}};

    ServerCallRecord r;
    r.call_id = 1;
    r.opnum = 1;
    r.events = {event(EventKind::started, milliseconds(5)),
                event(EventKind::polled, milliseconds(15)),
                event(EventKind::polled, milliseconds(110), status::kCallCancelled),
                event(EventKind::saw_cancel, milliseconds(110)),
                event(EventKind::saw_cancel, milliseconds(120)),
                event(EventKind::finished, milliseconds(130), status::kCallCancelled)};
    r.result = ServerResult::fault;
    r.fault_status = nca::kFaultCancel;
    observed.server_calls.push_back(r);
  }
  ServerCallExpect& expect() { return scenario.expect.server->per_call[0]; }
  ServerCallRecord& record() { return observed.server_calls[0]; }
  void drop(EventKind kind) {
    std::erase_if(record().events, [&](const auto& e) { return e.kind == kind; });
  }
  Dumps run() const { return dump(check(scenario, observed, TimingSettings{})); }
};

std::string key_loc(ServerFixture& f, const std::string& key) {
  return to_string(f.expect().key_locs.at(key));
}

// The statuses the polls returned, each once, in the order they first came.
TEST(CheckServer, Polled) {
  ServerFixture f;
  f.expect().polled = {status::kOk, status::kCallCancelled};
  f.expect().key_locs["polled"] = line(40, 7);
  EXPECT_EQ(f.run(), Dumps{});
  // A repeated status counts once.
  f.record().events.insert(f.record().events.begin() + 2,
                           event(EventKind::polled, milliseconds(30), status::kOk));
  EXPECT_EQ(f.run(), Dumps{});
  f.expect().polled = {status::kCallInProgress, status::kOk};
  EXPECT_EQ(f.run(), Dumps{"server call 1 polled | [RPC_S_CALL_IN_PROGRESS, RPC_S_OK] | "
                           "[RPC_S_OK, RPC_S_CALL_CANCELLED] | s.yaml:40:7 | "});
  f.drop(EventKind::polled);
  EXPECT_EQ(f.run(), Dumps{"server call 1 polled | [RPC_S_CALL_IN_PROGRESS, RPC_S_OK] | [] | "
                           "s.yaml:40:7 | "});
}

TEST(CheckServer, PassWhenTheRoutineSawWhatItShould) {
  EXPECT_EQ(ServerFixture().run(), Dumps{});
}

TEST(CheckServer, CallCount) {
  ServerFixture f;
  f.scenario.expect.server->calls = 2;
  EXPECT_EQ(f.run(), Dumps{"server calls | 2 | 1 | s.yaml:19:3 | "});
  f.observed.server_calls.clear();
  f.scenario.expect.server->calls = 0;
  EXPECT_EQ(f.run(), Dumps{"server call 1 | started | not started | s.yaml:20:3 | "});
}

TEST(CheckServer, MissingSecondCall) {
  ServerFixture f;
  ServerCallExpect second;
  second.loc = line(40);
  second.opnum = 2;
  f.scenario.expect.server->per_call.push_back(second);
  EXPECT_EQ(f.run(), Dumps{"server call 2 | started | not started | s.yaml:40:3 | "});
}

TEST(CheckServer, Opnum) {
  ServerFixture f;
  f.record().opnum = 3;
  EXPECT_EQ(f.run(), Dumps{"server call 1 opnum | 1 | 3 | " + key_loc(f, "opnum") + " | "});
}

TEST(CheckServer, NoKeyLocationFallsBackToTheCall) {
  ServerFixture f;
  f.record().opnum = 3;
  f.expect().key_locs.clear();
  EXPECT_EQ(f.run(), Dumps{"server call 1 opnum | 1 | 3 | s.yaml:20:3 | "});
}

TEST(CheckServer, SawCancel) {
  ServerFixture f;
  f.expect().saw_cancel_at.reset();
  f.drop(EventKind::saw_cancel);
  EXPECT_EQ(f.run(),
            Dumps{"server call 1 saw_cancel | true | false | " + key_loc(f, "saw_cancel") + " | "});
  f.expect().saw_cancel = false;
  EXPECT_EQ(f.run(), Dumps{});
}

TEST(CheckServer, SawCancelAtWithoutACancel) {
  ServerFixture f;
  f.expect().saw_cancel.reset();
  f.drop(EventKind::saw_cancel);
  EXPECT_EQ(f.run(), Dumps{"server call 1 saw_cancel_at | 110ms | no cancel seen | " +
                           key_loc(f, "saw_cancel_at") + " | "});
}

TEST(CheckServer, SawCancelAtUsesTheFirstSawCancel) {
  ServerFixture f;
  f.expect().saw_cancel_at->at = milliseconds(170);
  // Tolerance 50ms: the second saw_cancel (120ms) would be in time, the first is not.
  EXPECT_EQ(f.run(), Dumps{"server call 1 saw_cancel_at | 170ms | 110ms | " +
                           key_loc(f, "saw_cancel_at") + " | tolerance 50ms"});
}

TEST(CheckServer, Finished) {
  ServerFixture f;
  f.drop(EventKind::finished);
  const std::string loc = key_loc(f, "finished");
  EXPECT_EQ(f.run(),
            (Dumps{"server call 1 finished | true | false | " + loc + " | ",
                   "server call 1 finished_status | RPC_S_CALL_CANCELLED | not finished | " +
                       key_loc(f, "finished_status") + " | ",
                   "server call 1 finished_at | 130ms | not finished | " +
                       key_loc(f, "finished_at") + " | "}));
}

TEST(CheckServer, FinishedWhenItShouldNotHave) {
  ServerFixture f;
  f.expect().finished = false;
  f.expect().finished_status.reset();
  f.expect().finished_at.reset();
  EXPECT_EQ(f.run(),
            Dumps{"server call 1 finished | false | true | " + key_loc(f, "finished") + " | "});
}

TEST(CheckServer, FinishedStatus) {
  ServerFixture f;
  f.expect().finished_status = status::kOk;
  EXPECT_EQ(f.run(), Dumps{"server call 1 finished_status | RPC_S_OK | RPC_S_CALL_CANCELLED | " +
                           key_loc(f, "finished_status") + " | "});
}

TEST(CheckServer, FinishedAt) {
  ServerFixture f;
  f.record().events.back().at = milliseconds(2130);
  EXPECT_EQ(f.run(), Dumps{"server call 1 finished_at | 130ms | 2.130s | " +
                           key_loc(f, "finished_at") + " | tolerance 0.050s"});
}

TEST(CheckServer, StartedAtUsesTheInstantsLocationWithoutAKeyLocation) {
  ServerFixture f;
  f.record().events.front().at = milliseconds(80);
  // interval 5ms from the start: tolerance 50ms
  EXPECT_EQ(f.run(),
            Dumps{"server call 1 started_at | 5ms | 80ms | s.yaml:25:20 | tolerance 50ms"});
  f.drop(EventKind::started);
  EXPECT_EQ(f.run(), Dumps{"server call 1 started_at | 5ms | no started event | s.yaml:25:20 | "});
}

TEST(CheckServer, Result) {
  ServerFixture f;
  f.expect().fault_status.reset();
  f.record().result = ServerResult::discarded;
  EXPECT_EQ(f.run(),
            Dumps{"server call 1 result | fault | discarded | " + key_loc(f, "result") + " | "});
  f.record().result.reset();
  EXPECT_EQ(f.run(),
            Dumps{"server call 1 result | fault | none | " + key_loc(f, "result") + " | "});
}

TEST(CheckServer, FaultStatus) {
  ServerFixture f;
  f.expect().result.reset();
  f.record().fault_status = nca::kFaultUnspec;
  EXPECT_EQ(f.run(), Dumps{"server call 1 fault_status | nca_s_fault_cancel | "
                           "nca_s_fault_unspec | " +
                           key_loc(f, "fault_status") + " | "});
  f.record().fault_status = 0x1234;
  EXPECT_EQ(f.run(), Dumps{"server call 1 fault_status | nca_s_fault_cancel | 0x00001234 | " +
                           key_loc(f, "fault_status") + " | "});
}

TEST(CheckServer, FaultStatusWithoutAFault) {
  ServerFixture f;
  f.expect().result.reset();
  f.record().result = ServerResult::response;
  EXPECT_EQ(f.run(), Dumps{"server call 1 fault_status | nca_s_fault_cancel | no fault "
                           "(result response) | " +
                           key_loc(f, "fault_status") + " | "});
}

}  // namespace
}  // namespace rpcfit::run
