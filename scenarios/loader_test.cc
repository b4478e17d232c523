// Valid scenarios: every key lands in its model field with the location it came from; defaults
// and shorthand forms.
#include "scenarios/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "scenarios/test_util.h"

namespace rpcfit::scenarios {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::load;

std::string at(const run::SourceLoc& loc) {
  return run::to_string(loc);
}

constexpr const char* kFull = R"(
id: timeout/co/hung-server-finite
title: Hung server, finite timeout
spec: [CS-TMO-2, CS-STUB-1]
level: should
tags: [cancel, time-out_2]
protseq: ncacn_np
server:
  behaviour: cancel-aware
  delay: 500ms
  response_size: 128
  poll_period: 20ms
  cleanup: 30ms
  on_cancel: return
  run_for: 2s
  crash_after_bytes: 7
  cancel_deaf: true
  ops:
    1: {behaviour: slow, delay: 200ms}
    7: {behaviour: crash, crash_after_bytes: 16}
faults:
  - drop,pdu=cl_cancel,nth=1
  - latency,delay=200ms,jitter=50ms,dir=c2s
client:
  platform: legacy
  cancel_timeout: infinite
  access: [THREAD_SET_CONTEXT, THREAD_QUERY_INFORMATION]
  dg_retransmit: 250ms
  dg_comm_timeout: 30s
timing: {tolerance: 80ms, percent: 2.5}
timeout: 10s
steps:
  - {at: 0ms, open_thread: {handle: h1, thread: worker, access: THREAD_SET_CONTEXT}}
  - {at: 0ms, set_cancel_timeout: {thread: worker, timeout: 2, expect: RPC_S_OK}}
  - {at: 0ms, call: {id: c1, thread: worker, opnum: 1, in_bytes: 300}}
  - {at: 10ms, call: {opnum: 7, in_hex: "01 02 0a FF", async: true}}
  - {at: 100ms, cancel: {handle: h1, timeout: 0, expect: RPC_S_OK}}
  - {at: 100ms, cancel_thread: {thread: worker, access: 0x50, expect: 1818}}
  - {at: 150ms, async_cancel: {call: call2, abortive: false, expect: RPC_S_OK}}
  - {at: 200ms, cancel: {handle: null, timeout: -2, expect: RPC_S_INVALID_ARG}}
  - {at: 300ms, close_handle: {handle: h1, expect: true}}
  - {at: 400ms, close_handle: {handle: h1, expect: false}}
  - at: 500ms
    wait: {call: c1}
expect:
  calls:
    c1: {raises: RPC_S_CALL_CANCELLED, at: 2100ms, output_bytes: 0}
    call2: {status: RPC_S_CALL_CANCELLED, at: 150ms}
  server:
    count: 2
    calls:
      - {opnum: 1, saw_cancel: true, saw_cancel_at: 100ms, stub_finished: true,
         finished_status: RPC_S_CALL_CANCELLED, finished_at: 150ms, started_at: 0ms,
         result: fault, fault_status: nca_s_fault_cancel}
      - {opnum: 7, result: discarded, fault_status: 0x1c000012}
  wire:
    match: ordered
    pdus:
      - {dir: out, pdu: bind}
      - {dir: in, pdu: bind_ack}
      - {dir: out, pdu: co_cancel, at: 100ms, flags: "LAST|PENDING_CANCEL", cancel_count: 1}
    absent:
      - {dir: out, pdu: orphaned}
capture: captures/golden/timeout/co/hung-server-finite.pcap
xfail: known bug 12
skip: not today
)";

TEST(LoadValid, FullScenarioFillsEveryField) {
  const Loaded loaded = load(kFull);
  ASSERT_THAT(loaded.errors, IsEmpty()) << to_string(loaded.errors.front());
  ASSERT_TRUE(loaded.scenario.has_value());
  const run::Scenario& s = *loaded.scenario;
  EXPECT_EQ(at(s.loc), "t.yaml");
  EXPECT_EQ(s.id, "timeout/co/hung-server-finite");
  EXPECT_EQ(s.title, "Hung server, finite timeout");
  EXPECT_THAT(s.spec, ElementsAre("CS-TMO-2", "CS-STUB-1"));
  EXPECT_EQ(s.level, run::Level::should);
  EXPECT_THAT(s.tags, ElementsAre("cancel", "time-out_2"));
  EXPECT_EQ(s.protseq, "ncacn_np");

  const run::ServerSetup& server = s.server;
  EXPECT_EQ(at(server.loc), "t.yaml:8:3");
  EXPECT_EQ(server.behaviour.kind, server::BehaviourKind::cancel_aware);
  EXPECT_EQ(server.behaviour.delay, 500ms);
  EXPECT_EQ(server.behaviour.response_size, std::optional<std::size_t>(128));
  EXPECT_EQ(server.behaviour.poll_period, 20ms);
  EXPECT_EQ(server.behaviour.cleanup, 30ms);
  EXPECT_EQ(server.behaviour.on_cancel, server::OnCancel::return_normally);
  EXPECT_EQ(server.behaviour.run_for, std::optional<Duration>(2s));
  EXPECT_EQ(server.behaviour.crash_after_bytes, 7u);
  EXPECT_TRUE(server.cancel_deaf);
  ASSERT_EQ(server.by_opnum.size(), 2u);
  EXPECT_EQ(server.by_opnum.at(1).kind, server::BehaviourKind::slow);
  EXPECT_EQ(server.by_opnum.at(1).delay, 200ms);
  EXPECT_EQ(server.by_opnum.at(7).kind, server::BehaviourKind::crash);
  EXPECT_EQ(server.by_opnum.at(7).crash_after_bytes, 16u);
  EXPECT_EQ(server.by_opnum.at(7).delay, 0ms) << "an op's behaviour does not inherit the server's";

  ASSERT_EQ(s.faults.size(), 2u);
  EXPECT_EQ(s.faults[0].text, "drop,pdu=cl_cancel,nth=1");
  EXPECT_EQ(s.faults[0].spec.kind, fault::FaultKind::drop);
  EXPECT_EQ(s.faults[0].spec.match.nth, std::optional<std::uint32_t>(1));
  EXPECT_EQ(at(s.faults[0].loc), "t.yaml:21:5");
  EXPECT_EQ(s.faults[1].spec.kind, fault::FaultKind::latency);
  EXPECT_EQ(s.faults[1].spec.jitter, 50ms);

  const run::ClientSetup& client = s.client;
  EXPECT_EQ(at(client.loc), "t.yaml:24:3");
  EXPECT_TRUE(client.legacy_platform);
  EXPECT_EQ(client.cancel_timeout, std::optional<long>(-1));
  EXPECT_EQ(client.access, 0x50u);
  EXPECT_EQ(client.dg_retransmit, std::optional<Duration>(250ms));
  EXPECT_EQ(client.dg_comm_timeout, std::optional<Duration>(30s));

  EXPECT_EQ(s.tolerance.absolute, 80ms);
  EXPECT_DOUBLE_EQ(s.tolerance.percent, 2.5);
  EXPECT_EQ(at(s.tolerance.loc), "t.yaml:29:9");
  EXPECT_EQ(s.timeout, std::optional<Duration>(10s));

  ASSERT_EQ(s.steps.size(), 11u);
  const auto& open = s.steps[0];
  EXPECT_EQ(open.kind, run::StepKind::open_thread);
  EXPECT_EQ(at(open.loc), "t.yaml:32:5");
  EXPECT_EQ(open.handle, "h1");
  EXPECT_EQ(open.thread, "worker");
  EXPECT_EQ(open.access, std::optional<std::uint32_t>(0x10));

  const auto& set = s.steps[1];
  EXPECT_EQ(set.kind, run::StepKind::set_cancel_timeout);
  EXPECT_EQ(set.thread, "worker");
  EXPECT_EQ(set.timeout, 2);
  EXPECT_EQ(set.expect, std::optional<RpcStatus>(status::kOk));
  EXPECT_EQ(at(set.expect_loc), "t.yaml:33:72");

  const auto& c1 = s.steps[2];
  EXPECT_EQ(c1.kind, run::StepKind::call);
  EXPECT_EQ(c1.call, "c1");
  EXPECT_EQ(c1.thread, "worker");
  EXPECT_EQ(c1.opnum, 1);
  ASSERT_EQ(c1.input.size(), 300u);
  EXPECT_EQ(c1.input[0], 0x00);
  EXPECT_EQ(c1.input[255], 0xff);
  EXPECT_EQ(c1.input[256], 0x00);
  EXPECT_EQ(c1.input[299], 43);
  EXPECT_FALSE(c1.async);

  const auto& c2 = s.steps[3];
  EXPECT_EQ(c2.call, "call2") << "the 2nd call step's default id";
  EXPECT_EQ(c2.thread, "main");
  EXPECT_EQ(c2.at, 10ms);
  EXPECT_EQ(c2.input, (Bytes{0x01, 0x02, 0x0a, 0xff}));
  EXPECT_TRUE(c2.async);

  const auto& cancel = s.steps[4];
  EXPECT_EQ(cancel.kind, run::StepKind::cancel);
  EXPECT_EQ(cancel.handle, "h1");
  EXPECT_FALSE(cancel.null_handle);
  EXPECT_EQ(cancel.timeout, 0);
  EXPECT_EQ(cancel.access, std::nullopt);

  const auto& cancel_thread = s.steps[5];
  EXPECT_EQ(cancel_thread.kind, run::StepKind::cancel_thread);
  EXPECT_EQ(cancel_thread.thread, "worker");
  EXPECT_EQ(cancel_thread.access, std::optional<std::uint32_t>(0x50));
  EXPECT_EQ(cancel_thread.expect, std::optional<RpcStatus>(status::kCallCancelled));

  const auto& async_cancel = s.steps[6];
  EXPECT_EQ(async_cancel.kind, run::StepKind::async_cancel);
  EXPECT_EQ(async_cancel.call, "call2");
  EXPECT_FALSE(async_cancel.abortive);

  const auto& null_cancel = s.steps[7];
  EXPECT_TRUE(null_cancel.null_handle);
  EXPECT_EQ(null_cancel.handle, "");
  EXPECT_EQ(null_cancel.timeout, -2);
  EXPECT_EQ(null_cancel.expect, std::optional<RpcStatus>(status::kInvalidArg));

  EXPECT_EQ(s.steps[8].kind, run::StepKind::close_handle);
  EXPECT_EQ(s.steps[8].expect, std::optional<RpcStatus>(status::kOk));
  EXPECT_EQ(s.steps[9].expect, std::optional<RpcStatus>(status::kInvalidArg));
  EXPECT_EQ(s.steps[10].kind, run::StepKind::wait);
  EXPECT_EQ(s.steps[10].call, "c1");
  EXPECT_EQ(s.steps[10].at, 500ms);
  EXPECT_EQ(at(s.steps[10].loc), "t.yaml:42:5");

  ASSERT_EQ(s.expect.calls.size(), 2u);
  const run::CallExpect& e1 = s.expect.calls[0];
  EXPECT_EQ(e1.call, "c1");
  EXPECT_EQ(at(e1.loc), "t.yaml:46:9");
  EXPECT_EQ(e1.status, std::optional<RpcStatus>(status::kCallCancelled));
  EXPECT_EQ(at(e1.status_loc), "t.yaml:46:18");
  ASSERT_TRUE(e1.ended_at.has_value());
  EXPECT_EQ(e1.ended_at->at, 2100ms);
  EXPECT_EQ(at(e1.ended_at->loc), "t.yaml:46:44");
  EXPECT_EQ(e1.output_bytes, std::optional<std::size_t>(0));
  EXPECT_EQ(at(e1.output_loc), "t.yaml:46:66");
  EXPECT_FALSE(e1.still_running);
  EXPECT_EQ(s.expect.calls[1].call, "call2");

  ASSERT_TRUE(s.expect.server.has_value());
  const run::ServerExpect& se = *s.expect.server;
  EXPECT_EQ(at(se.loc), "t.yaml:49:5");
  EXPECT_EQ(se.calls, std::optional<std::size_t>(2));
  ASSERT_EQ(se.per_call.size(), 2u);
  const run::ServerCallExpect& sc = se.per_call[0];
  EXPECT_EQ(at(sc.loc), "t.yaml:51:9");
  EXPECT_EQ(sc.opnum, std::optional<std::uint16_t>(1));
  EXPECT_EQ(sc.saw_cancel, std::optional<bool>(true));
  ASSERT_TRUE(sc.saw_cancel_at.has_value());
  EXPECT_EQ(sc.saw_cancel_at->at, 100ms);
  EXPECT_EQ(sc.finished, std::optional<bool>(true));
  EXPECT_EQ(sc.finished_status, std::optional<RpcStatus>(status::kCallCancelled));
  EXPECT_EQ(sc.finished_at->at, 150ms);
  EXPECT_EQ(sc.started_at->at, 0ms);
  EXPECT_EQ(sc.result, std::optional<run::ServerResult>(run::ServerResult::fault));
  EXPECT_EQ(sc.fault_status, std::optional<std::uint32_t>(nca::kFaultCancel));
  EXPECT_EQ(at(sc.key_locs.at("saw_cancel")), "t.yaml:51:20");
  EXPECT_EQ(at(sc.key_locs.at("stub_finished")), "t.yaml:51:60");
  EXPECT_EQ(at(sc.key_locs.at("finished")), "t.yaml:51:60");
  EXPECT_EQ(at(sc.key_locs.at("fault_status")), "t.yaml:53:25");
  EXPECT_EQ(sc.key_locs.size(), 10u);
  EXPECT_EQ(se.per_call[1].result, std::optional<run::ServerResult>(run::ServerResult::discarded));
  EXPECT_EQ(se.per_call[1].fault_status, std::optional<std::uint32_t>(nca::kFaultUnspec));

  ASSERT_TRUE(s.expect.wire.has_value());
  const run::WireExpectations& wire = *s.expect.wire;
  EXPECT_EQ(at(wire.loc), "t.yaml:56:5");
  EXPECT_EQ(wire.match, run::WireMatch::ordered);
  ASSERT_EQ(wire.pdus.size(), 3u);
  EXPECT_TRUE(wire.pdus[0].out);
  EXPECT_EQ(wire.pdus[0].pdu, "bind");
  EXPECT_FALSE(wire.pdus[1].out);
  EXPECT_EQ(wire.pdus[1].pdu, "bind_ack");
  const run::WireExpect& co_cancel = wire.pdus[2];
  EXPECT_EQ(at(co_cancel.loc), "t.yaml:60:9");
  EXPECT_EQ(co_cancel.at->at, 100ms);
  EXPECT_EQ(co_cancel.fields, (std::map<std::string, std::string>{
                                  {"cancel_count", "1"}, {"flags", "LAST|PENDING_CANCEL"}}));
  EXPECT_EQ(at(co_cancel.field_locs.at("flags")), "t.yaml:60:54");
  EXPECT_EQ(at(co_cancel.field_locs.at("cancel_count")), "t.yaml:60:91");
  ASSERT_EQ(wire.absent.size(), 1u);
  EXPECT_EQ(wire.absent[0].pdu, "orphaned");

  EXPECT_EQ(s.capture,
            std::optional<std::string>("captures/golden/timeout/co/hung-server-finite.pcap"));
  EXPECT_EQ(s.xfail, std::optional<std::string>("known bug 12"));
  EXPECT_EQ(s.skip, std::optional<std::string>("not today"));
}

constexpr const char* kMinimal = R"(
id: cancel/basic
title: Basic
spec: [CS-OK-1]
steps:
  - {at: 0ms, call: {}}
  - {at: 1s, cancel: {thread: main}}
expect:
  call: {returns: true, at: 1s}
  server: {saw_cancel: true, stub_finished: false}
  wire:
    - {dir: out, pdu: bind}
)";

TEST(LoadValid, DefaultsAndShorthands) {
  const Loaded loaded = load(kMinimal);
  ASSERT_THAT(loaded.errors, IsEmpty()) << to_string(loaded.errors.front());
  const run::Scenario& s = *loaded.scenario;
  EXPECT_EQ(s.level, run::Level::must);
  EXPECT_THAT(s.tags, IsEmpty());
  EXPECT_EQ(s.protseq, "ncacn_ip_tcp");
  EXPECT_EQ(s.server.behaviour.kind, server::BehaviourKind::normal);
  EXPECT_FALSE(s.server.cancel_deaf);
  EXPECT_EQ(at(s.server.loc), "t.yaml");
  EXPECT_FALSE(s.client.legacy_platform);
  EXPECT_EQ(s.client.cancel_timeout, std::nullopt);
  EXPECT_EQ(s.client.access, 0x1FFFFFu);
  EXPECT_EQ(s.tolerance.absolute, 50ms);
  EXPECT_DOUBLE_EQ(s.tolerance.percent, 5.0);
  EXPECT_EQ(s.timeout, std::nullopt);
  EXPECT_EQ(s.capture, std::nullopt);
  EXPECT_EQ(s.xfail, std::nullopt);

  ASSERT_EQ(s.steps.size(), 2u);
  EXPECT_EQ(s.steps[0].call, "call1");
  EXPECT_EQ(s.steps[0].thread, "main");
  EXPECT_EQ(s.steps[0].opnum, 0);
  EXPECT_THAT(s.steps[0].input, IsEmpty());
  EXPECT_EQ(s.steps[1].timeout, -1);
  EXPECT_EQ(s.steps[1].at, 1s);
  EXPECT_EQ(s.steps[1].expect, std::nullopt);

  ASSERT_EQ(s.expect.calls.size(), 1u);
  EXPECT_EQ(s.expect.calls[0].call, "call1") << "expect.call names the only call";
  EXPECT_EQ(s.expect.calls[0].status, std::optional<RpcStatus>(status::kOk));
  EXPECT_EQ(at(s.expect.calls[0].status_loc), "t.yaml:8:19");

  ASSERT_EQ(s.expect.server->per_call.size(), 1u);
  const run::ServerCallExpect& first = s.expect.server->per_call[0];
  EXPECT_EQ(first.saw_cancel, std::optional<bool>(true));
  EXPECT_EQ(first.finished, std::optional<bool>(false));
  EXPECT_EQ(at(first.loc), "t.yaml:9:11");
  EXPECT_EQ(s.expect.server->calls, std::nullopt);

  EXPECT_EQ(s.expect.wire->match, run::WireMatch::exact);
  ASSERT_EQ(s.expect.wire->pdus.size(), 1u);
}

TEST(LoadValid, RunningCallAndWireAbsentOnly) {
  const Loaded loaded = load(testing::with_header(R"(steps:
  - {at: 0ms, call: {id: c1, async: true}}
expect:
  calls:
    c1: {running: true, output_bytes: 0}
  wire: {absent: [{dir: out, pdu: orphaned}]}
)"));
  ASSERT_THAT(loaded.errors, IsEmpty()) << to_string(loaded.errors.front());
  const run::Scenario& s = *loaded.scenario;
  EXPECT_TRUE(s.expect.calls[0].still_running);
  EXPECT_EQ(s.expect.calls[0].status, std::nullopt);
  EXPECT_EQ(s.expect.wire->match, run::WireMatch::ordered)
      << "only absent written: no demand on the PDUs sent";
  EXPECT_THAT(s.expect.wire->pdus, IsEmpty());
  EXPECT_EQ(s.expect.wire->absent.size(), 1u);
}

// RpcServerTestCancel polling and the statuses the polls returned (CS-SRV-2); how long an API
// step may take (CS-RET-1).
TEST(LoadValid, PollWithPolledAndReturnsWithin) {
  const Loaded loaded = load(testing::with_header(R"(server:
  behaviour: cancel-aware
  poll_with: RpcServerTestCancel
  ops:
    2: {behaviour: cancel-aware, poll_with: RpcTestCancel}
steps:
  - {at: 0ms, call: {id: c1, opnum: 3}}
  - {at: 100ms, cancel: {thread: main, timeout: 5, returns_within: 10ms}}
  - {at: 120ms, set_cancel_timeout: {thread: main, timeout: 1, returns_within: 5ms}}
expect:
  server: {polled: [RPC_S_CALL_IN_PROGRESS, RPC_S_OK]}
)"));
  ASSERT_THAT(loaded.errors, IsEmpty()) << to_string(loaded.errors.front());
  const run::Scenario& s = *loaded.scenario;
  EXPECT_EQ(s.server.behaviour.poll_with, server::PollWith::server_test_cancel);
  EXPECT_EQ(s.server.by_opnum.at(2).poll_with, server::PollWith::test_cancel);
  EXPECT_EQ(s.steps[1].returns_within, std::optional<Duration>(std::chrono::milliseconds(10)));
  EXPECT_EQ(s.steps[1].returns_within_loc.line, 11);
  EXPECT_EQ(s.steps[2].returns_within, std::optional<Duration>(std::chrono::milliseconds(5)));
  EXPECT_EQ(s.expect.server->per_call[0].polled,
            (std::vector<RpcStatus>{status::kCallInProgress, status::kOk}));

  const auto bad = testing::errors_of(testing::with_header(R"(server: {poll_with: RpcTestCancelEx}
steps:
  - {at: 0ms, call: {id: c1, returns_within: 1ms}}
expect:
  server: {polled: [RPC_S_OK, NOPE]}
)"));
  EXPECT_THAT(bad,
              ::testing::ElementsAre(
                  "t.yaml:4:21: server.poll_with: unknown poll_with \"RpcTestCancelEx\" (did "
                  "you mean \"RpcTestCancel\"?); known: RpcTestCancel, RpcServerTestCancel",
                  ::testing::StartsWith("t.yaml:6:30: steps[0].call.returns_within: unknown key"),
                  ::testing::StartsWith("t.yaml:8:31: expect.server.polled[1]: unknown status "
                                        "\"NOPE\"")));
}

TEST(LoadValid, AccessForms) {
  const Loaded loaded = load(testing::with_header(R"(client: {access: 0x12}
steps:
  - {at: 0ms, open_thread: {handle: a, thread: main, access: 65}}
  - {at: 0ms, open_thread: {handle: b, thread: main, access: THREAD_ALL_ACCESS}}
  - {at: 0ms, open_thread: {handle: c, thread: main, access: []}}
  - {at: 0ms, open_thread: {handle: d, thread: main, access: [THREAD_TERMINATE, 0x2]}}
)"));
  ASSERT_THAT(loaded.errors, IsEmpty()) << to_string(loaded.errors.front());
  const run::Scenario& s = *loaded.scenario;
  EXPECT_EQ(s.client.access, 0x12u);
  EXPECT_EQ(s.steps[0].access, std::optional<std::uint32_t>(65));
  EXPECT_EQ(s.steps[1].access, std::optional<std::uint32_t>(0x1FFFFF));
  EXPECT_EQ(s.steps[2].access, std::optional<std::uint32_t>(0));
  EXPECT_EQ(s.steps[3].access, std::optional<std::uint32_t>(3));
}

TEST(LoadValid, StepsKeepFileOrder) {
  const Loaded loaded = load(testing::with_header(R"(steps:
  - {at: 200ms, call: {id: late}}
  - {at: 0ms, call: {id: early}}
  - {at: 200ms, wait: {call: late}}
)"));
  ASSERT_THAT(loaded.errors, IsEmpty()) << to_string(loaded.errors.front());
  const auto& steps = loaded.scenario->steps;
  EXPECT_EQ(steps[0].call, "late");
  EXPECT_EQ(steps[1].call, "early");
  EXPECT_EQ(steps[2].kind, run::StepKind::wait);
}

TEST(LoadValid, ErrorToStringNamesTheLocation) {
  const LoadError error{run::SourceLoc{"scenarios/cancel/x.yaml", 12, 5},
                        "steps[1].cancel.timeout: expected an integer, got \"two\""};
  EXPECT_EQ(to_string(error),
            "scenarios/cancel/x.yaml:12:5: steps[1].cancel.timeout: expected an integer, got "
            "\"two\"");
  EXPECT_EQ(to_string(LoadError{run::SourceLoc{"f.yaml", 0, 0}, "file too large (over 1 MiB)"}),
            "f.yaml: file too large (over 1 MiB)");
}

}  // namespace
}  // namespace rpcfit::scenarios
