// A cancel with timeout 0 (and an abortive RpcAsyncCancelCall) orphans the call at once (CS-TMO-3,
// CS-AS-1), even against a routine that answers the cancel the instant it arrives: the answer the
// co_cancel or cl_cancel draws from the server comes after the cancel, so it must never be taken
// for a reply that came before it. Each case is repeated, because the failure it guards against
// was a race the caller won about half the time.
#include <gtest/gtest.h>

#include "drivers/runtime/async.h"
#include "drivers/runtime/runtime_test_util.h"

namespace rpcfit::rpc {
namespace {

using testing::CallThread;
using testing::kPatience;
using testing::Pair;
using transport::Protseq;

constexpr int kRounds = 15;
constexpr std::uint16_t kAnswersTheCancel = 40;

// Waits for the cancel and returns its input normally, as soon as it has seen it.
Pair& answering(Pair& p) {
  InterfaceRegistration reg = test_interface();
  reg.routines[kAnswersTheCancel] = [](ServerCall& call, ByteView input) {
    call.wait_for_cancel(std::chrono::seconds(60));
    return Bytes(input.begin(), input.end());
  };
  p.server->register_interface(reg);
  return p;
}

class ZeroTimeout : public ::testing::TestWithParam<Protseq> {};

TEST_P(ZeroTimeout, CS_TMO_3_TheAnswerToTheCancelNeverWins) {
  Pair p(GetParam());
  answering(p);
  for (int round = 1; round <= kRounds; ++round) {
    CallThread call(*p.client, p.binding, kAnswersTheCancel, Bytes{1, 2});
    ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started, round));
    EXPECT_EQ(p.cancel(call.thread_id(), 0), status::kOk);
    auto outcome = call.finish();
    ASSERT_EQ(outcome.raised, status::kCallCancelled)
        << "round " << round << ": " << (outcome.returned ? "the call returned" : outcome.what);
  }
}

TEST_P(ZeroTimeout, CS_AS_1_TheAnswerToAnAbortiveCancelNeverWins) {
  Pair p(GetParam());
  answering(p);
  for (int round = 1; round <= kRounds; ++round) {
    RpcEvent done;
    RpcAsyncState state;
    ASSERT_EQ(RpcAsyncInitializeHandle(&state), status::kOk);
    state.notification = RpcNotification::event;
    state.event = &done;
    ASSERT_EQ(p.binding->call_async(state, test_interface_id(), kAnswersTheCancel, Bytes{3}),
              status::kOk);
    ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started, round));
    EXPECT_EQ(RpcAsyncCancelCall(&state, true), status::kOk);
    ASSERT_TRUE(done.wait_for(kPatience));
    ASSERT_EQ(RpcAsyncCompleteCall(&state, nullptr), status::kCallCancelled) << "round " << round;
  }
}

INSTANTIATE_TEST_SUITE_P(CancelCapable, ZeroTimeout,
                         ::testing::Values(Protseq::ncacn_ip_tcp, Protseq::ncacn_np,
                                           Protseq::ncadg_ip_udp),
                         [](const auto& param_info) {
                           return std::string(transport::protseq_name(param_info.param));
                         });

}  // namespace
}  // namespace rpcfit::rpc
