// The fault decorators between a real client and server (testing::Pair): each fault's effect on
// a call, and the plan's counters reporting what was injected. The decorator sits on the client
// runtime: on a stream it applies c2s faults to what the client sends and s2c faults to what it
// receives; on datagrams it applies c2s faults to what the client sends.
#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "drivers/fault/datagram_faults.h"
#include "drivers/fault/fault_plan.h"
#include "drivers/fault/stream_faults.h"
#include "drivers/runtime/runtime_test_util.h"
#include "drivers/runtime/test_interface.h"

namespace rpcfit::fault {
namespace {

using rpc::BindingOptions;
using rpc::RuntimeOptions;
using rpc::ServerEventKind;
using rpc::test_interface_id;
using rpc::testing::CallThread;
using rpc::testing::kLate;
using rpc::testing::Pair;
using std::chrono::milliseconds;
using transport::Protseq;
namespace test_op = rpc::test_op;

constexpr double kScale = 0.1;  // the Pair's default: scenario seconds run ten times faster

std::shared_ptr<FaultPlan> plan_of(std::initializer_list<const char*> texts,
                                   std::uint64_t seed = 1) {
  std::vector<FaultSpec> specs;
  for (const char* text : texts) {
    auto spec = parse_fault(text);
    if (!spec) throw std::invalid_argument(spec.error());
    specs.push_back(*spec);
  }
  return std::make_shared<FaultPlan>(std::move(specs), seed);
}

RuntimeOptions on_streams(std::shared_ptr<FaultPlan> plan, const Clock& clock) {
  RuntimeOptions options;
  options.stream_decorator = stream_decorator_for(std::move(plan), clock);
  return options;
}

RuntimeOptions on_datagrams(std::shared_ptr<FaultPlan> plan, const Clock& clock) {
  RuntimeOptions options;
  options.datagram_decorator = datagram_decorator_for(std::move(plan), clock, true);
  return options;
}

// A retransmission interval long enough that a slow machine never retransmits a request that
// was not lost, so the count of requests decided is the same on every run.
BindingOptions patient_datagrams() {
  BindingOptions options;
  options.dg_retransmit = seconds(1);
  return options;
}

Bytes pattern(std::size_t size) {
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return out;
}

bool failed_cleanly(RpcStatus raised) {
  return raised == status::kProtocolError || raised == status::kCallFailed;
}

TEST(StreamFaults, LatencyDelaysTheResponseByTheDelay) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"latency,delay=800ms,dir=s2c,pdu=response"});
  Pair p(Protseq::ncacn_ip_tcp, kScale, on_streams(plan, fault_clock));
  auto start = p.clock.now();
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{1, 2}), (Bytes{1, 2}));
  auto took = p.clock.now() - start;
  EXPECT_GE(took, milliseconds(800));
  EXPECT_LT(took, milliseconds(800) + kLate);
  EXPECT_EQ(plan->injected(FaultKind::latency), 1u);
  EXPECT_EQ(plan->describe_counters(), "latency=1");
}

TEST(StreamFaults, OnTheServerSideLatencyDelaysWhatTheServerSends) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"latency,delay=800ms,pdu=response"});
  Pair p(Protseq::ncacn_ip_tcp, kScale, {}, on_streams(plan, fault_clock));
  auto start = p.clock.now();
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{3}), Bytes{3});
  auto took = p.clock.now() - start;
  EXPECT_GE(took, milliseconds(800));
  EXPECT_LT(took, milliseconds(800) + kLate);
  // Held back by the server's flush: the client's capture sees it late, not early.
  const auto pdus = p.capture.pdus();
  auto response = rpc::testing::of_type(pdus, "response", false);
  ASSERT_EQ(response.size(), 1u);
  EXPECT_GE(response.front()->at - start, milliseconds(800));
  EXPECT_EQ(plan->describe_counters(), "latency=1");
}

TEST(StreamFaults, BandwidthPacesALargeRequest) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"bandwidth,bps=20000,dir=c2s"});
  Pair p(Protseq::ncacn_ip_tcp, kScale, on_streams(plan, fault_clock));
  auto big = pattern(10000);
  auto start = p.clock.now();
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, big), big);
  auto took = p.clock.now() - start;
  EXPECT_GE(took, milliseconds(500)) << "10000 bytes at 20000 bytes/s";
  EXPECT_LT(took, milliseconds(600) + kLate);
  // bind and the request's fragments.
  EXPECT_GE(plan->injected(FaultKind::bandwidth), 3u);
}

TEST(StreamFaults, ATruncatedResponseFailsTheCall) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"truncate,keep=20,pdu=response"});
  Pair p(Protseq::ncacn_ip_tcp, kScale, on_streams(plan, fault_clock));
  CallThread call(*p.client, p.binding, test_op::kEcho, pattern(100));
  auto outcome = call.finish();
  EXPECT_FALSE(outcome.returned);
  EXPECT_TRUE(failed_cleanly(outcome.raised)) << outcome.raised << " " << outcome.what;
  EXPECT_EQ(plan->describe_counters(), "truncate=1");
}

TEST(StreamFaults, ACorruptedResponseFailsTheCall) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"corrupt,field=frag_length,value=7,pdu=response"});
  Pair p(Protseq::ncacn_ip_tcp, kScale, on_streams(plan, fault_clock));
  CallThread call(*p.client, p.binding, test_op::kEcho, pattern(100));
  auto outcome = call.finish();
  EXPECT_FALSE(outcome.returned);
  EXPECT_TRUE(failed_cleanly(outcome.raised)) << outcome.raised << " " << outcome.what;
  EXPECT_EQ(plan->describe_counters(), "corrupt=1");
}

TEST(StreamFaults, AResetAtTheRequestFailsTheCall) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"reset,pdu=request"});
  Pair p(Protseq::ncacn_ip_tcp, kScale, on_streams(plan, fault_clock));
  CallThread call(*p.client, p.binding, test_op::kEcho, Bytes{9});
  auto outcome = call.finish();
  EXPECT_FALSE(outcome.returned);
  // Not one byte of the request left (offset 0): the call did not execute (CS-CONN-1).
  EXPECT_EQ(outcome.raised, status::kCallFailedDne) << outcome.what;
  EXPECT_EQ(p.capture.count("request"), 0u);
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 0);
  EXPECT_EQ(plan->describe_counters(), "reset=1");
}

TEST(StreamFaults, AResetAtTheCancelEndsTheCallCancelledBeforeTheTimeout) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"reset,pdu=co_cancel"});
  Pair p(Protseq::ncacn_ip_tcp, kScale, on_streams(plan, fault_clock));
  CallThread call(*p.client, p.binding, rpc::testing::kGated, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  auto posted = p.clock.now();
  EXPECT_EQ(p.cancel(call.thread_id(), 30), status::kOk);
  auto outcome = call.finish();
  // The connection is lost after the cancel was posted: CS-CONN-2, long before the 30 s timeout.
  EXPECT_EQ(outcome.raised, status::kCallCancelled) << outcome.what;
  EXPECT_LT(outcome.ended - posted, kLate);
  EXPECT_EQ(p.capture.count("co_cancel"), 0u) << "cut before the co_cancel";
  EXPECT_EQ(plan->describe_counters(), "reset=1");
  p.open_gate();
  EXPECT_TRUE(p.events.wait_for(ServerEventKind::result_discarded));
}

TEST(StreamFaults, ASlicedRequestWorksAndACancelDuringItIsDelivered) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"slice,segment=4,gap=20ms,dir=c2s"});
  Pair p(Protseq::ncacn_ip_tcp, kScale, on_streams(plan, fault_clock));
  CallThread call(*p.client, p.binding, test_op::kCancellable, rpc::milliseconds_input(60000));
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), 30), status::kOk);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled) << outcome.what;
  EXPECT_EQ(p.events.count(ServerEventKind::cancel_arrived), 1);
  // bind, request and co_cancel, each written in 4-byte writes that the capture records one by
  // one (undecodable on their own).
  EXPECT_EQ(plan->injected(FaultKind::slice), 3u);
  EXPECT_EQ(p.capture.count("request"), 0u);
  EXPECT_GE(p.capture.count("?"), (16u + 16u) / 4);
}

TEST(StreamFaults, CS_TMO_2_ABlackholedResponseIsCancelledAtTheTimeout) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"blackhole,dir=s2c,pdu=response"});
  Pair p(Protseq::ncacn_ip_tcp, kScale, on_streams(plan, fault_clock));
  CallThread call(*p.client, p.binding, test_op::kEcho, Bytes{4});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::response_sent));
  auto posted = p.clock.now();
  EXPECT_EQ(p.cancel(call.thread_id(), 1), status::kOk);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled) << outcome.what;
  EXPECT_GE(outcome.ended - posted, seconds(1));
  EXPECT_LT(outcome.ended - posted, seconds(1) + kLate);
  EXPECT_EQ(p.capture.count("response"), 1u) << "it reached the client, which never saw it";
  EXPECT_GE(plan->injected(FaultKind::blackhole), 1u);
}

TEST(StreamFaults, ReorderIsRefusedOnStreams) {
  RealClock fault_clock(kScale);
  EXPECT_THROW(stream_decorator_for(plan_of({"reorder"}), fault_clock), std::invalid_argument);
}

TEST(DatagramFaults, ALostFirstRequestIsRetransmittedAndRunsOnce) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"drop,pdu=request,nth=1"});
  Pair p(Protseq::ncadg_ip_udp, kScale, on_datagrams(plan, fault_clock), {}, patient_datagrams());
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{5}), Bytes{5});
  EXPECT_EQ(p.capture.count("request"), 1u) << "only the retransmission crossed the network";
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 1);
  EXPECT_EQ(plan->describe_counters(), "drop=1");
}

TEST(DatagramFaults, ADuplicatedRequestRunsOnce) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"duplicate,pdu=request"});
  Pair p(Protseq::ncadg_ip_udp, kScale, on_datagrams(plan, fault_clock), {}, patient_datagrams());
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{6}), Bytes{6});
  EXPECT_EQ(p.capture.count("request"), 2u);
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 1);
  EXPECT_EQ(plan->describe_counters(), "duplicate=1");
}

TEST(DatagramFaults, ADelayedRequestIsSentWithoutTheCallerAskingAgain) {
  RealClock fault_clock(kScale);
  auto plan = plan_of({"latency,delay=500ms,pdu=request,nth=1"});
  BindingOptions options = patient_datagrams();
  options.dg_retransmit = seconds(3);  // the delayed request, not a retransmission, gets there
  Pair p(Protseq::ncadg_ip_udp, kScale, on_datagrams(plan, fault_clock), {}, options);
  auto start = p.clock.now();
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{8}), Bytes{8});
  auto took = p.clock.now() - start;
  EXPECT_GE(took, milliseconds(500));
  EXPECT_LT(took, milliseconds(500) + kLate);
  EXPECT_EQ(p.capture.count("request"), 1u);
  EXPECT_EQ(plan->describe_counters(), "latency=1");
}

TEST(DatagramFaults, TheSameSeedGivesTheSameCounters) {
  constexpr std::uint64_t kSeed = 5;
  auto run = [](std::uint64_t seed) {
    RealClock fault_clock(kScale);
    auto plan = plan_of({"drop,p=0.4,pdu=request"}, seed);
    BindingOptions options = patient_datagrams();
    options.dg_retransmit = seconds(2);
    Pair p(Protseq::ncadg_ip_udp, kScale, on_datagrams(plan, fault_clock), {}, options);
    for (std::uint8_t i = 0; i < 4; ++i) {
      EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{i}), Bytes{i});
    }
    EXPECT_EQ(p.events.count(ServerEventKind::call_started), 4);
    return plan->counters();
  };
  auto first = run(kSeed);
  EXPECT_EQ(run(kSeed), first);
  // What the pure plan decides for requests until four get through: the decorator injected
  // exactly that (each lost request was sent again and decided again).
  auto alone = plan_of({"drop,p=0.4,pdu=request"}, kSeed);
  for (int through = 0; through < 4;) {
    if (!alone
             ->decide(PduFacts{Direction::client_to_server, wire::PType::request, 100, true},
                      Duration{0})
             .drop) {
      ++through;
    }
  }
  EXPECT_GE(alone->injected(FaultKind::drop), 1u) << "the seed must lose something";
  EXPECT_EQ(first, alone->counters());
}

}  // namespace
}  // namespace rpcfit::fault
