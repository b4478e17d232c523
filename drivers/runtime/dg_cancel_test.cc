// Spec section 5 on real datagram sockets: calls over ncadg_ip_udp and ncadg_mq, what a posted
// cancel puts on the wire (cl_cancel, cancel_ack), the timeout rules, and CS-PS-1 for ncadg_mq.
#include <gtest/gtest.h>

#include "drivers/runtime/runtime_test_util.h"
#include "harness/core/bytes.h"

namespace rpcfit::rpc {
namespace {

using std::chrono::milliseconds;
using testing::CallThread;
using testing::Pair;
using testing::SeenPdu;
using transport::Protseq;

using testing::kLate;
using testing::of_type;

// cancel_id of a cl_cancel or cancel_ack (the body's second word).
std::uint32_t cancel_id(const SeenPdu& pdu) {
  return load_le32(pdu.bytes.data() + 80 + 4);
}

class DgCall : public ::testing::TestWithParam<Protseq> {};

TEST_P(DgCall, ANullCallIsARequestAndAResponseTheNextCallAcknowledges) {
  Pair p(GetParam());
  auto out = p.binding->call(test_interface_id(), test_op::kEcho, Bytes{1, 2, 3});
  EXPECT_EQ(out, (Bytes{1, 2, 3}));
  // The activity is reused: the next call has the next sequence number, and its request
  // acknowledges the first reply (C706). The last reply is acknowledged when the activity closes.
  p.binding->call(test_interface_id(), test_op::kEcho, Bytes{});
  p.binding.reset();
  ASSERT_TRUE(p.capture.wait_sent("ack"));
  EXPECT_EQ(p.capture.sequence(),
            (std::vector<std::string>{"out request", "in response", "out request", "in response",
                                      "out ack"}));
  const auto pdus = p.capture.pdus();
  auto requests = of_type(pdus, "request", true);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1]->call_id, requests[0]->call_id + 1);
  EXPECT_EQ(of_type(pdus, "ack", true).at(0)->call_id, requests[1]->call_id);
}

TEST_P(DgCall, LargeRequestsAndResponsesAreFragmentedWithFacks) {
  Pair p(GetParam());
  Bytes big(20000);
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<std::uint8_t>(i * 7);
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, big), big);
  auto pdus = p.capture.pdus();
  EXPECT_GE(of_type(pdus, "request", true).size(), 14u);
  EXPECT_GE(of_type(pdus, "response", false).size(), 14u);
  EXPECT_GE(of_type(pdus, "fack", false).size(), 1u) << "the server facks request bursts";
  EXPECT_GE(of_type(pdus, "fack", true).size(), 1u) << "the client facks response bursts";
  for (const auto& pdu : pdus)
    EXPECT_LE(pdu.bytes.size(), 1464u);
}

TEST_P(DgCall, UnknownInterfaceAndOpnumAreRejected) {
  Pair p(GetParam());
  auto other = test_interface_id();
  other.uuid.time_low ^= 1;
  EXPECT_EQ(testing::raised_by([&] { p.binding->call(other, 0, Bytes{}); }), status::kUnknownIf);
  EXPECT_EQ(testing::raised_by([&] { p.binding->call(test_interface_id(), 99, Bytes{}); }),
            status::kProcnumOutOfRange);
  EXPECT_EQ(p.capture.count("reject"), 2u);
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 0);
}

INSTANTIATE_TEST_SUITE_P(Datagram, DgCall,
                         ::testing::Values(Protseq::ncadg_ip_udp, Protseq::ncadg_mq),
                         [](const auto& param_info) {
                           return std::string(transport::protseq_name(param_info.param));
                         });

TEST(DgCancel, CS_DG_1_CS_DG_2_CancelIsAckedAndTheRoutineSeesIt) {
  Pair p(Protseq::ncadg_ip_udp);
  CallThread call(*p.client, p.binding, test_op::kCancellable, milliseconds_input(60000));
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), 30), status::kOk);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled);  // CS-SRV-3, CS-RES-1
  auto pdus = p.capture.pdus();
  auto cancels = of_type(pdus, "cl_cancel", true);
  auto acks = of_type(pdus, "cancel_ack", false);
  ASSERT_GE(cancels.size(), 1u);
  ASSERT_GE(acks.size(), 1u);
  EXPECT_EQ(cancel_id(*cancels[0]), 1u);
  EXPECT_EQ(cancel_id(*acks[0]), 1u);
  EXPECT_EQ(acks[0]->bytes.size(), 80u + 9u) << "cancel_ack body: 9 bytes";
  EXPECT_EQ(acks[0]->bytes[80 + 8], 1) << "server_is_accepting while executing";
  auto faults = of_type(pdus, "fault", false);
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(load_le32(faults[0]->bytes.data() + 80), nca::kFaultCancel);
  EXPECT_EQ(p.events.count(ServerEventKind::cancel_arrived), 1);
}

TEST(DgCancel, CS_DG_1_EachCancelHasTheNextCancelId) {
  Pair p(Protseq::ncadg_ip_udp);
  CallThread call(*p.client, p.binding, testing::kGated, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), -1), status::kOk);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::cancel_arrived, 1));
  EXPECT_EQ(p.cancel(call.thread_id(), -1), status::kOk);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::cancel_arrived, 2));
  p.open_gate();
  auto outcome = call.finish();
  // The gated routine never asked, so the response says the cancel is still pending (CS-DG-4):
  // results come back and the cancel stays with the thread.
  EXPECT_TRUE(outcome.returned) << outcome.what;
  auto pdus = p.capture.pdus();
  auto cancels = of_type(pdus, "cl_cancel", true);
  ASSERT_GE(cancels.size(), 2u);
  EXPECT_EQ(cancel_id(*cancels.front()), 1u);
  EXPECT_EQ(cancel_id(*cancels.back()), 2u);
  auto responses = of_type(pdus, "response", false);
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0]->flags2 & 0x02, 0x02) << "CANCEL_PENDING";
}

TEST(DgCancel, CS_DG_4_AMissedCancelStaysPendingForTheNextCall) {
  Pair q(Protseq::ncadg_ip_udp);
  q.open_gate();
  std::promise<ThreadId> id;
  std::promise<void> go;
  auto go_future = go.get_future().share();
  RpcStatus first = status::kOk;
  RpcStatus next = status::kOk;
  std::thread worker([&] {
    id.set_value(q.client->GetCurrentThreadId());
    go_future.wait();
    first = testing::raised_by([&] { q.binding->call(test_interface_id(), testing::kGated, {}); });
    next = testing::raised_by([&] {
      q.binding->call(test_interface_id(), test_op::kCancellable, milliseconds_input(60000));
    });
  });
  auto target = id.get_future().get();
  EXPECT_EQ(q.cancel(target, 30), status::kOk);  // idle: pending (CS-IDLE-1)
  go.set_value();
  worker.join();
  // The first call carried the pending cancel as a cl_cancel behind its request; the routine
  // returned without looking (CANCEL_PENDING) or before the cancel arrived (cancel_ack not
  // accepting), so the cancel stayed pending and cancelled the second call.
  EXPECT_EQ(first, status::kOk);
  EXPECT_EQ(next, status::kCallCancelled);
  const auto pdus = q.capture.pdus();
  EXPECT_GE(of_type(pdus, "cl_cancel", true).size(), 2u);
  // The second call ended with the routine's cancel fault, not at its 30 s cancel timeout.
  auto faults = of_type(pdus, "fault", false);
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(load_le32(faults[0]->bytes.data() + 80), nca::kFaultCancel);
}

TEST(DgCancel, CS_DG_3_AHungCallIsAbandonedAtTheTimeoutAndTrafficStops) {
  Pair p(Protseq::ncadg_ip_udp);
  CallThread call(*p.client, p.binding, testing::kGated, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  auto posted = p.clock.now();
  EXPECT_EQ(p.cancel(call.thread_id(), 1), status::kOk);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled);
  EXPECT_GE(outcome.ended - posted, seconds(1));
  EXPECT_LE(outcome.ended - posted, seconds(1) + kLate);
  const auto sent_before = p.capture.count_sent("cl_cancel") + p.capture.count_sent("ping");
  // The routine runs on to its end (CS-STUB-1); its response goes nowhere.
  p.open_gate();
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::response_sent));
  // No client traffic for the call after the timeout: no orphaned PDU exists in the protocol.
  for (const auto& pdu : p.capture.pdus()) {
    if (pdu.outbound) {
      EXPECT_LE(pdu.at, outcome.ended) << pdu.type;
    }
  }
  EXPECT_EQ(p.capture.count_sent("cl_cancel") + p.capture.count_sent("ping"), sent_before);
  // A new call works, on a new activity.
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{9}), Bytes{9});
}

TEST(DgCancel, CS_TMO_3_ZeroTimeoutAbandonsAtOnce) {
  Pair p(Protseq::ncadg_ip_udp);
  CallThread call(*p.client, p.binding, testing::kGated, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  auto posted = p.clock.now();
  EXPECT_EQ(p.cancel(call.thread_id(), 0), status::kOk);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled);
  EXPECT_LE(outcome.ended - posted, kLate);
  EXPECT_EQ(p.capture.count_sent("cl_cancel"), 1u);
}

TEST(DgCancel, CS_TMO_4_InfiniteTimeoutWaitsAndPingsKeepTheCallAlive) {
  Pair p(Protseq::ncadg_ip_udp);
  CallThread call(*p.client, p.binding, testing::kGated, Bytes{4});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), -1), status::kOk);
  // CS-DG-5: the client pings and the server answers working while the routine runs.
  ASSERT_TRUE(p.capture.wait_until([](const std::vector<SeenPdu>& pdus) {
    return of_type(pdus, "ping", true).size() >= 2 && !of_type(pdus, "working", false).empty();
  }));
  p.open_gate();
  auto outcome = call.finish();
  EXPECT_TRUE(outcome.returned) << outcome.what;
  EXPECT_EQ(outcome.output, Bytes{4});
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 1);
}

TEST(DgCancel, CS_PS_1_NcadgMqCannotBeCancelled) {
  Pair p(Protseq::ncadg_mq);
  CallThread call(*p.client, p.binding, testing::kGated, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), 0), status::kCannotSupport);
  p.open_gate();
  EXPECT_TRUE(call.finish().returned);
  EXPECT_EQ(p.capture.count("cl_cancel"), 0u);
}

TEST(DgCancel, AServerThatIsNotThereIsUnavailable) {
  testing::MemoryCapture unused(default_clock());
  Runtime runtime;
  // A UDP port nobody listens on: ICMP port unreachable comes back on loopback.
  Pair p(Protseq::ncadg_ip_udp);
  auto port = p.endpoint;
  p.server->stop(seconds(5));
  auto binding = *Binding::from_string(runtime, "ncadg_ip_udp:127.0.0.1[" + port + "]");
  EXPECT_EQ(testing::raised_by([&] { binding->call(test_interface_id(), 0, Bytes{}); }),
            status::kServerUnavailable);
  auto mq = *Binding::from_string(runtime, "ncadg_mq:[rpcfit-no-such-queue]");
  EXPECT_EQ(testing::raised_by([&] { mq->call(test_interface_id(), 0, Bytes{}); }),
            status::kServerUnavailable);
}

}  // namespace
}  // namespace rpcfit::rpc
