// Spec sections 2 and 3 on real sockets: what RpcCancelThreadEx, RpcCancelThread and
// RpcMgmtSetCancelTimeout return, and that refused cancels leave the call and the wire alone.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "drivers/runtime/runtime_test_util.h"

namespace rpcfit::rpc {
namespace {

using testing::CallThread;
using testing::Pair;
using transport::Protseq;

// A call that runs, deaf to cancels, until the test opens the gate; `ms` tags its input.
CallThread gated_call(Pair& p, std::uint32_t ms) {
  return CallThread(*p.client, p.binding, testing::kGated, milliseconds_input(ms));
}

TEST(CancelApi, CS_ARG_1_NullClosedAndUnknownHandlesAreInvalid) {
  Pair p(Protseq::ncacn_ip_tcp);
  EXPECT_EQ(p.client->RpcCancelThreadEx(0, 1), status::kInvalidArg);
  auto id = p.client->GetCurrentThreadId();
  auto handle = p.client->OpenThread(access::kThreadAllAccess, id);
  ASSERT_NE(handle, 0u);
  ASSERT_TRUE(p.client->CloseHandle(handle));
  EXPECT_EQ(p.client->RpcCancelThreadEx(handle, 1), status::kInvalidArg);
  EXPECT_FALSE(p.client->CloseHandle(handle));
  EXPECT_EQ(p.client->OpenThread(access::kThreadAllAccess, 0xFFFFFF), 0u);
  EXPECT_EQ(p.client->RpcCancelThreadEx(0xDEAD, 1), status::kInvalidArg);
  // A thread of another runtime is no thread of this one.
  Runtime other;
  EXPECT_EQ(other.OpenThread(access::kThreadAllAccess, id), 0u);
  // Nor is a thread that has exited, even through a handle opened while it ran.
  ThreadHandle to_exited = 0;
  std::thread([&] {
    to_exited = p.client->OpenThread(access::kThreadAllAccess, p.client->GetCurrentThreadId());
  }).join();
  ASSERT_NE(to_exited, 0u);
  EXPECT_EQ(p.client->RpcCancelThreadEx(to_exited, 1), status::kInvalidArg);
  EXPECT_TRUE(p.client->CloseHandle(to_exited));
}

TEST(CancelApi, CS_ACC_1_WithoutSetContextTheCallRunsOnAndNothingIsSent) {
  Pair p(Protseq::ncacn_ip_tcp);
  auto call = gated_call(p, 500);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  auto without = access::kThreadAllAccess & ~access::kThreadSetContext;
  EXPECT_EQ(p.cancel(call.thread_id(), 0, without), status::kAccessDenied);
  EXPECT_EQ(p.cancel(call.thread_id(), 0, access::kThreadQueryInformation), status::kAccessDenied);
  p.open_gate();
  auto outcome = call.finish();
  EXPECT_TRUE(outcome.returned) << outcome.what;
  EXPECT_EQ(p.capture.count("co_cancel"), 0u);
  EXPECT_EQ(p.capture.count("orphaned"), 0u);
  EXPECT_EQ(p.events.count(ServerEventKind::cancel_arrived), 0);
}

TEST(CancelApi, CS_ACC_1_SetContextAloneIsEnough) {
  Pair p(Protseq::ncacn_ip_tcp);
  CallThread call(*p.client, p.binding, test_op::kCancellable, milliseconds_input(60000));
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), 5, access::kThreadSetContext), status::kOk);
  EXPECT_EQ(call.finish().raised, status::kCallCancelled);
}

TEST(CancelApi, CS_PLT_1_TheLegacyProfileCannotCancel) {
  RuntimeOptions legacy;
  legacy.legacy_platform = true;
  Pair p(Protseq::ncacn_ip_tcp, 0.1, legacy);
  auto call = gated_call(p, 300);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), 1), status::kCannotSupport);
  EXPECT_EQ(p.client->RpcMgmtSetCancelTimeout(5), status::kCannotSupport);
  p.open_gate();
  EXPECT_TRUE(call.finish().returned);
  EXPECT_EQ(p.capture.count("co_cancel"), 0u);
}

TEST(CancelApi, CS_TMO_0_ATimeoutBelowInfiniteIsInvalid) {
  Pair p(Protseq::ncacn_ip_tcp);
  auto call = gated_call(p, 300);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), -2), status::kInvalidTimeout);
  // The access check comes first.
  EXPECT_EQ(p.cancel(call.thread_id(), -2, 0), status::kAccessDenied);
  p.open_gate();
  EXPECT_TRUE(call.finish().returned);
  EXPECT_EQ(p.capture.count("co_cancel"), 0u);
}

TEST(CancelApi, CS_NP_1_NamedPipesRefuseAnInfiniteTimeoutAndTheCallRunsOn) {
  Pair p(Protseq::ncacn_np);
  auto call = gated_call(p, 300);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), kCancelInfiniteTimeout), status::kInvalidTimeout);
  p.open_gate();
  auto outcome = call.finish();
  EXPECT_TRUE(outcome.returned) << outcome.what;
  EXPECT_EQ(p.capture.count("co_cancel"), 0u);
}

class NotCancelCapable : public ::testing::TestWithParam<Protseq> {};

TEST_P(NotCancelCapable, CS_PS_1_CannotSupportAndNothingIsSent) {
  Pair p(GetParam());
  auto call = gated_call(p, 300);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), 0), status::kCannotSupport);
  EXPECT_EQ(p.cancel(call.thread_id(), kCancelInfiniteTimeout), status::kCannotSupport);
  p.open_gate();
  auto outcome = call.finish();
  EXPECT_TRUE(outcome.returned) << outcome.what;
  EXPECT_EQ(p.capture.count("co_cancel"), 0u);
  EXPECT_EQ(p.events.count(ServerEventKind::cancel_arrived), 0);
}

INSTANTIATE_TEST_SUITE_P(Protseqs, NotCancelCapable,
                         ::testing::Values(Protseq::ncalrpc, Protseq::ncacn_http),
                         [](const auto& param_info) {
                           return std::string(transport::protseq_name(param_info.param));
                         });

TEST(CancelApi, CS_RET_1_TheCancelReturnsWithoutWaitingForTheCall) {
  Pair p(Protseq::ncacn_ip_tcp);
  auto call = CallThread(*p.client, p.binding, testing::kGated, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), kCancelInfiniteTimeout), status::kOk);
  // The cancel has returned while the call is still running.
  EXPECT_EQ(p.events.count(ServerEventKind::call_finished), 0);
  p.open_gate();
  auto outcome = call.finish();
  EXPECT_TRUE(outcome.returned) << outcome.what;
}

TEST(CancelApi, CS_IDLE_1_ACancelOfAnIdleThreadIsPendingForItsNextCall) {
  Pair p(Protseq::ncacn_ip_tcp);
  auto self = p.client->GetCurrentThreadId();
  EXPECT_EQ(p.cancel(self, 30), status::kOk);
  EXPECT_EQ(p.cancel(self, 0), status::kOk);  // changes only the timeout
  // T = 0 from the second cancel: the first fragment carries the cancel and the call is orphaned
  // as soon as it is sent (CS-PEND-1 with CS-TMO-3).
  EXPECT_EQ(testing::raised_by([&] {
              p.binding->call(test_interface_id(), test_op::kDeaf, milliseconds_input(2000));
            }),
            status::kCallCancelled);
  auto pdus = p.capture.pdus();
  std::vector<std::string> out;
  for (const auto& pdu : pdus) {
    if (pdu.outbound) out.push_back(pdu.type);
  }
  EXPECT_EQ(out, (std::vector<std::string>{"bind", "request", "orphaned"}));
  for (const auto& pdu : pdus) {
    if (pdu.type == "request") {
      EXPECT_NE(pdu.flags & 0x04, 0) << "no PFC_PENDING_CANCEL";
    }
  }
  // The pending cancel was consumed: the next call is plain.
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{1, 2}), (Bytes{1, 2}));
}

TEST(CancelApi, CS_MGMT_1_SetCancelTimeoutValidatesItsArgument) {
  Runtime rt;
  EXPECT_EQ(rt.RpcMgmtSetCancelTimeout(-2), status::kInvalidTimeout);
  EXPECT_EQ(rt.RpcMgmtSetCancelTimeout(kCancelInfiniteTimeout), status::kOk);
  EXPECT_EQ(rt.RpcMgmtSetCancelTimeout(0), status::kOk);
  EXPECT_EQ(rt.RpcMgmtSetCancelTimeout(3600), status::kOk);
}

TEST(CancelApi, CS_MGMT_2_RpcCancelThreadUsesTheTargetsOwnTimeout) {
  Pair p(Protseq::ncacn_ip_tcp);
  auto call = CallThread(*p.client, p.binding, test_op::kDeaf, milliseconds_input(30000),
                         [&] { ASSERT_EQ(p.client->RpcMgmtSetCancelTimeout(1), status::kOk); });
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  auto handle = p.client->OpenThread(access::kThreadAllAccess, call.thread_id());
  auto posted = p.clock.now();
  EXPECT_EQ(p.client->RpcCancelThread(handle), status::kOk);
  p.client->CloseHandle(handle);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled);
  EXPECT_GE(outcome.ended - posted, seconds(1));
  EXPECT_LT(outcome.ended - posted, seconds(1) + std::chrono::milliseconds(2500));
  EXPECT_EQ(p.capture.count("orphaned"), 1u);
}

TEST(CancelApi, CS_MGMT_2_AThreadThatSetNoTimeoutCannotBeCancelledOnNamedPipes) {
  Pair p(Protseq::ncacn_np);
  auto call = gated_call(p, 300);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  auto handle = p.client->OpenThread(access::kThreadAllAccess, call.thread_id());
  EXPECT_EQ(p.client->RpcCancelThread(handle), status::kInvalidTimeout);
  p.client->CloseHandle(handle);
  p.open_gate();
  EXPECT_TRUE(call.finish().returned);
}

}  // namespace
}  // namespace rpcfit::rpc
