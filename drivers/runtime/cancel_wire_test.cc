// Spec sections 4 and 6 on real sockets, for the cancel-capable CO protocol sequences: what a
// posted cancel puts on the wire, when the call ends and how, and what the server does.
#include <gtest/gtest.h>

#include <future>

#include "drivers/runtime/runtime_test_util.h"

namespace rpcfit::rpc {
namespace {

using std::chrono::milliseconds;
using testing::CallThread;
using testing::Pair;
using testing::SeenPdu;
using transport::Protseq;

using testing::kLate;

std::vector<std::string> outbound(const Pair& p) {
  std::vector<std::string> out;
  for (const auto& pdu : p.capture.pdus()) {
    if (pdu.outbound) out.push_back(pdu.type);
  }
  return out;
}

std::optional<SeenPdu> first_of(const Pair& p, const std::string& type) {
  for (const auto& pdu : p.capture.pdus()) {
    if (pdu.type == type) return pdu;
  }
  return std::nullopt;
}

class CoCancel : public ::testing::TestWithParam<Protseq> {};

TEST_P(CoCancel, CS_FWD_1_ACancelAfterTheFirstFragmentSendsCoCancelAndTheServerSeesIt) {
  Pair p(GetParam());
  CallThread call(*p.client, p.binding, test_op::kCancellable, milliseconds_input(60000));
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), 30), status::kOk);
  auto outcome = call.finish();
  // CS-SRV-1 and CS-SRV-3: the routine saw the cancel and raised it; CS-RES-1: the fault ends
  // the call with RPC_S_CALL_CANCELLED.
  EXPECT_EQ(outcome.raised, status::kCallCancelled);
  EXPECT_EQ(outbound(p), (std::vector<std::string>{"bind", "request", "co_cancel"}));
  auto request = first_of(p, "request");
  auto co_cancel = first_of(p, "co_cancel");
  ASSERT_TRUE(request && co_cancel);
  EXPECT_EQ(co_cancel->call_id, request->call_id);
  EXPECT_EQ(co_cancel->bytes.size(), 16u);
  EXPECT_EQ(co_cancel->flags, 0x06);  // LAST|PENDING_CANCEL, as Windows sends it
  EXPECT_EQ(request->flags & 0x04, 0);
  auto fault = first_of(p, "fault");
  ASSERT_TRUE(fault);
  EXPECT_EQ(load_le32(fault->bytes.data() + 24), nca::kFaultCancel);
  EXPECT_EQ(fault->bytes[22], 1) << "cancel_count";  // CS-SRV-4
  EXPECT_EQ(fault->flags & 0x04, 0) << "the routine observed the cancel";
  EXPECT_EQ(p.capture.count("orphaned"), 0u);  // CS-TMO-1
}

TEST_P(CoCancel, CS_TMO_2_AHungServerIsOrphanedAtTheTimeoutAndTheStubRunsOn) {
  Pair p(GetParam());
  CallThread call(*p.client, p.binding, testing::kGated, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  auto posted = p.clock.now();
  EXPECT_EQ(p.cancel(call.thread_id(), 1), status::kOk);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled);
  EXPECT_GE(outcome.ended - posted, seconds(1));
  EXPECT_LT(outcome.ended - posted, seconds(1) + kLate);
  EXPECT_EQ(outbound(p), (std::vector<std::string>{"bind", "request", "co_cancel", "orphaned"}));
  auto orphaned = first_of(p, "orphaned");
  ASSERT_TRUE(orphaned);
  EXPECT_GE(orphaned->at - posted, seconds(1));
  EXPECT_EQ(orphaned->bytes.size(), 16u);
  EXPECT_EQ(orphaned->flags, 0x03);
  // MS-RPCE: the connection is closed after an orphaned PDU.
  EXPECT_TRUE(p.capture.wait_closed(1));
  // CS-STUB-1 and CS-SRV-5: the routine runs to its end and its result is discarded.
  EXPECT_EQ(p.events.count(ServerEventKind::call_finished), 0);
  p.open_gate();
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::result_discarded));
  EXPECT_EQ(p.events.count(ServerEventKind::call_finished), 1);
  EXPECT_EQ(p.events.count(ServerEventKind::response_sent), 0);
  EXPECT_EQ(p.capture.count("response"), 0u);
  // The binding opens a new connection for the next call.
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{7}), Bytes{7});
  EXPECT_EQ(p.binding->connections_opened(), 2u);
}

TEST_P(CoCancel, CS_TMO_3_ZeroTimeoutSendsCoCancelThenOrphanedAndFailsAtOnce) {
  Pair p(GetParam());
  CallThread call(*p.client, p.binding, testing::kGated, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  auto posted = p.clock.now();
  EXPECT_EQ(p.cancel(call.thread_id(), 0), status::kOk);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled);
  EXPECT_LT(outcome.ended - posted, kLate);
  EXPECT_EQ(outbound(p), (std::vector<std::string>{"bind", "request", "co_cancel", "orphaned"}));
  p.open_gate();
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::result_discarded));
}

// Not on ncacn_np: CS-NP-1 refuses an infinite timeout there.
TEST(CoCancelTcp, CS_TMO_4_AnInfiniteTimeoutWaitsForTheServer) {
  Pair p(Protseq::ncacn_ip_tcp);
  CallThread call(*p.client, p.binding, testing::kGated, milliseconds_input(3000));
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), kCancelInfiniteTimeout), status::kOk);
  ASSERT_TRUE(p.capture.wait_sent("co_cancel"));
  // Well past any finite timeout the call still waits: only the server's reply ends it.
  EXPECT_FALSE(p.capture.wait_until_for([](const auto& pdus) { return pdus.size() > 4; },
                                        std::chrono::milliseconds(300)));
  auto opened = p.clock.now();
  p.open_gate();
  auto outcome = call.finish();
  // CS-RES-2: the normal response ends the call with its results.
  EXPECT_TRUE(outcome.returned) << outcome.what;
  EXPECT_EQ(outcome.output, milliseconds_input(3000));
  EXPECT_GE(outcome.ended, opened);
  EXPECT_EQ(p.capture.count("orphaned"), 0u);
}

TEST_P(CoCancel, CS_TMO_1_AReplyBeforeTheTimeoutEndsTheCallWithoutOrphaning) {
  Pair p(GetParam());
  CallThread call(*p.client, p.binding, testing::kGated, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), 60), status::kOk);
  ASSERT_TRUE(p.capture.wait_sent("co_cancel"));
  p.open_gate();
  auto outcome = call.finish();
  EXPECT_TRUE(outcome.returned) << outcome.what;
  EXPECT_EQ(p.capture.count("co_cancel"), 1u);
  EXPECT_EQ(p.capture.count("orphaned"), 0u);
}

TEST_P(CoCancel, CS_SRV_4_AndCS_RES_3_ACancelTheRoutineNeverSawStaysPendingOnTheClient) {
  Pair p(GetParam());
  CallThread call(*p.client, p.binding, testing::kGated, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), 60), status::kOk);
  EXPECT_EQ(p.cancel(call.thread_id(), 60), status::kOk);
  ASSERT_TRUE(p.capture.wait_sent("co_cancel", 2));
  p.open_gate();
  auto outcome = call.finish();
  EXPECT_TRUE(outcome.returned) << outcome.what;
  auto response = first_of(p, "response");
  ASSERT_TRUE(response);
  EXPECT_NE(response->flags & 0x04, 0) << "PFC_PENDING_CANCEL: the routine never asked";
  EXPECT_EQ(response->bytes[22], 2) << "cancel_count = co_cancel PDUs received";
}

TEST_P(CoCancel, CS_RES_3_TheMissedCancelRidesOnTheThreadsNextCall) {
  Pair p(GetParam());
  std::promise<ThreadId> id;
  auto id_future = id.get_future();
  // One client thread makes two calls: the first is cancelled while its routine is deaf, so the
  // cancel stays pending and the second call starts with it (CS-IDLE-1, CS-PEND-1).
  auto calls = std::async(std::launch::async, [&] {
    id.set_value(p.client->GetCurrentThreadId());
    auto first = p.binding->call(test_interface_id(), testing::kGated, milliseconds_input(1500));
    try {
      p.binding->call(test_interface_id(), test_op::kCancellable, milliseconds_input(60000));
      return std::make_pair(first, status::kOk);
    } catch (const RpcException& e) {
      return std::make_pair(first, e.status());
    }
  });
  auto target = id_future.get();
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(target, 60), status::kOk);
  ASSERT_TRUE(p.capture.wait_sent("co_cancel"));
  p.open_gate();
  ASSERT_EQ(calls.wait_for(testing::kPatience), std::future_status::ready);
  auto [first, second] = calls.get();
  EXPECT_EQ(first, milliseconds_input(1500)) << "the first call returns its results";
  EXPECT_EQ(second, status::kCallCancelled) << "the second call started cancelled";
  std::vector<std::uint8_t> request_flags;
  for (const auto& pdu : p.capture.pdus()) {
    if (pdu.type == "request") request_flags.push_back(pdu.flags & 0x04);
  }
  EXPECT_EQ(request_flags, (std::vector<std::uint8_t>{0, 0x04}));
}

INSTANTIATE_TEST_SUITE_P(Protseqs, CoCancel,
                         ::testing::Values(Protseq::ncacn_ip_tcp, Protseq::ncacn_np),
                         [](const auto& param_info) {
                           return std::string(transport::protseq_name(param_info.param));
                         });

}  // namespace
}  // namespace rpcfit::rpc
