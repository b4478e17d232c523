// Spec section 7 and CS-ASYNC-1 on real sockets, over every protocol sequence: asynchronous
// calls with event and callback notification, RpcAsyncCompleteCall, and RpcAsyncCancelCall.
#include "drivers/runtime/async.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>

#include "drivers/runtime/runtime_test_util.h"

namespace rpcfit::rpc {
namespace {

using std::chrono::milliseconds;
using testing::kPatience;
using testing::Pair;
using testing::SeenPdu;
using transport::Protseq;

using testing::kLate;

struct Async {
  RpcEvent done;
  RpcAsyncState state;
  Async() {
    EXPECT_EQ(RpcAsyncInitializeHandle(&state), status::kOk);
    state.notification = RpcNotification::event;
    state.event = &done;
  }
};

class AsyncCalls : public ::testing::TestWithParam<Protseq> {};

TEST_P(AsyncCalls, ACallCompletesThroughItsEventWithItsResults) {
  Pair p(GetParam());
  Async a;
  ASSERT_EQ(p.binding->call_async(a.state, test_interface_id(), test_op::kEcho, Bytes{1, 2}),
            status::kOk);
  ASSERT_TRUE(a.done.wait_for(kPatience));
  EXPECT_EQ(RpcAsyncGetCallStatus(&a.state), status::kOk);
  Bytes reply;
  EXPECT_EQ(RpcAsyncCompleteCall(&a.state, &reply), status::kOk);
  EXPECT_EQ(reply, (Bytes{1, 2}));
  // The state is free again: completing twice is an error, a new call is not.
  EXPECT_EQ(RpcAsyncCompleteCall(&a.state, &reply), status::kInvalidAsyncHandle);
  a.done.reset();
  ASSERT_EQ(p.binding->call_async(a.state, test_interface_id(), test_op::kEcho, Bytes{3}),
            status::kOk);
  ASSERT_TRUE(a.done.wait_for(kPatience));
  EXPECT_EQ(RpcAsyncCompleteCall(&a.state, &reply), status::kOk);
  EXPECT_EQ(reply, Bytes{3});
}

TEST_P(AsyncCalls, CS_AS_1_AnAbortiveCancelOrphansAndCompletesAtOnce) {
  Pair p(GetParam());
  Async a;
  ASSERT_EQ(p.binding->call_async(a.state, test_interface_id(), testing::kGated, Bytes{}),
            status::kOk);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(RpcAsyncGetCallStatus(&a.state), status::kAsyncCallPending);
  Bytes reply;
  EXPECT_EQ(RpcAsyncCompleteCall(&a.state, &reply), status::kAsyncCallPending);
  auto posted = p.clock.now();
  EXPECT_EQ(RpcAsyncCancelCall(&a.state, true), status::kOk);
  ASSERT_TRUE(a.done.wait_for(kPatience));
  EXPECT_LE(p.clock.now() - posted, kLate);
  EXPECT_EQ(RpcAsyncCompleteCall(&a.state, &reply), status::kCallCancelled);
  if (transport::is_datagram(GetParam())) {
    EXPECT_EQ(p.capture.count_sent("cl_cancel"), 1u);  // and then silence (CS-DG-3)
  } else {
    // As CS-TMO-3 on the wire.
    EXPECT_EQ(p.capture.count_sent("co_cancel"), 1u);
    EXPECT_EQ(p.capture.count_sent("orphaned"), 1u);
  }
  // The server stub runs on to its end (CS-STUB-1).
  p.open_gate();
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_finished));
}

TEST_P(AsyncCalls, CS_AS_2_ANonAbortiveCancelWaitsForTheServersAnswer) {
  Pair p(GetParam());
  Async a;
  ASSERT_EQ(p.binding->call_async(a.state, test_interface_id(), test_op::kCancellable,
                                  milliseconds_input(60000)),
            status::kOk);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(RpcAsyncCancelCall(&a.state, false), status::kOk);
  ASSERT_TRUE(a.done.wait_for(kPatience));
  // The routine saw the cancel and raised it: the server's answer is the cancel fault.
  EXPECT_EQ(RpcAsyncCompleteCall(&a.state, nullptr), status::kCallCancelled);
  EXPECT_EQ(p.capture.count("orphaned"), 0u);
}

TEST_P(AsyncCalls, CS_AS_2_ANonAbortiveCancelReturnsTheResultsOfARoutineThatIgnoresIt) {
  Pair p(GetParam());
  Async a;
  ASSERT_EQ(p.binding->call_async(a.state, test_interface_id(), testing::kGated, Bytes{8}),
            status::kOk);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(RpcAsyncCancelCall(&a.state, false), status::kOk);
  ASSERT_TRUE(p.capture.wait_until([](const std::vector<SeenPdu>& pdus) {
    return std::any_of(pdus.begin(), pdus.end(), [](const SeenPdu& s) {
      return s.outbound && (s.type == "co_cancel" || s.type == "cl_cancel");
    });
  }));
  EXPECT_FALSE(a.done.wait_for(milliseconds(200))) << "no timeout: it waits for the server";
  p.open_gate();
  ASSERT_TRUE(a.done.wait_for(kPatience));
  Bytes reply;
  EXPECT_EQ(RpcAsyncCompleteCall(&a.state, &reply), status::kOk);
  EXPECT_EQ(reply, Bytes{8});
}

TEST_P(AsyncCalls, CS_ASYNC_1_RpcCancelThreadExNeverCancelsAnAsyncCall) {
  Pair p(GetParam());
  Async a;
  auto self = p.client->GetCurrentThreadId();
  ASSERT_EQ(p.binding->call_async(a.state, test_interface_id(), testing::kGated, Bytes{5}),
            status::kOk);
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  // This thread has no synchronous call in progress: the cancel is only left pending on it.
  EXPECT_EQ(p.cancel(self, 0), status::kOk);
  p.open_gate();
  ASSERT_TRUE(a.done.wait_for(kPatience));
  Bytes reply;
  EXPECT_EQ(RpcAsyncCompleteCall(&a.state, &reply), status::kOk);
  EXPECT_EQ(reply, Bytes{5});
  EXPECT_EQ(p.capture.count_sent("co_cancel") + p.capture.count_sent("cl_cancel") +
                p.capture.count_sent("orphaned"),
            0u);
  EXPECT_EQ(p.events.count(ServerEventKind::cancel_arrived), 0);
}

INSTANTIATE_TEST_SUITE_P(Every, AsyncCalls,
                         ::testing::Values(Protseq::ncacn_ip_tcp, Protseq::ncacn_np,
                                           Protseq::ncalrpc, Protseq::ncacn_http,
                                           Protseq::ncadg_ip_udp, Protseq::ncadg_mq),
                         [](const auto& param_info) {
                           return std::string(transport::protseq_name(param_info.param));
                         });

TEST(AsyncHandles, CS_AS_3_CancellingWithoutAnOutstandingCallIsAnInvalidHandle) {
  RpcAsyncState never_initialized;
  EXPECT_EQ(RpcAsyncCancelCall(&never_initialized, true), status::kInvalidAsyncHandle);
  EXPECT_EQ(RpcAsyncCancelCall(nullptr, false), status::kInvalidAsyncHandle);
  RpcAsyncState idle;
  ASSERT_EQ(RpcAsyncInitializeHandle(&idle), status::kOk);
  EXPECT_EQ(RpcAsyncCancelCall(&idle, true), status::kInvalidAsyncHandle);
  EXPECT_EQ(RpcAsyncCompleteCall(&idle, nullptr), status::kInvalidAsyncHandle);
  EXPECT_EQ(RpcAsyncGetCallStatus(&idle), status::kInvalidAsyncHandle);
  EXPECT_EQ(RpcAsyncInitializeHandle(nullptr), status::kInvalidArg);

  Pair p(Protseq::ncacn_ip_tcp);
  Async a;
  ASSERT_EQ(p.binding->call_async(a.state, test_interface_id(), test_op::kEcho, Bytes{}),
            status::kOk);
  ASSERT_TRUE(a.done.wait_for(kPatience));
  // Completed but not yet completed by the caller: a cancel is accepted and changes nothing.
  EXPECT_EQ(RpcAsyncCancelCall(&a.state, true), status::kOk);
  EXPECT_EQ(RpcAsyncCompleteCall(&a.state, nullptr), status::kOk);
  EXPECT_EQ(RpcAsyncCancelCall(&a.state, true), status::kInvalidAsyncHandle);
}

TEST(AsyncHandles, AStateCarriesOneCallAtATime) {
  Pair p(Protseq::ncacn_ip_tcp);
  RpcAsyncState raw;
  EXPECT_EQ(p.binding->call_async(raw, test_interface_id(), test_op::kEcho, Bytes{}),
            status::kInvalidAsyncHandle)
      << "not initialized";
  Async a;
  ASSERT_EQ(p.binding->call_async(a.state, test_interface_id(), testing::kGated, Bytes{}),
            status::kOk);
  EXPECT_EQ(p.binding->call_async(a.state, test_interface_id(), test_op::kEcho, Bytes{}),
            status::kInvalidAsyncHandle);
  EXPECT_EQ(RpcAsyncInitializeHandle(&a.state), status::kInvalidAsyncHandle);
  p.open_gate();
  ASSERT_TRUE(a.done.wait_for(kPatience));
  EXPECT_EQ(RpcAsyncCompleteCall(&a.state, nullptr), status::kOk);
}

TEST(AsyncHandles, ACallbackMayCompleteTheCallItself) {
  Pair p(Protseq::ncadg_ip_udp);
  RpcAsyncState state;
  ASSERT_EQ(RpcAsyncInitializeHandle(&state), status::kOk);
  std::promise<std::pair<RpcStatus, Bytes>> completed;
  state.notification = RpcNotification::callback;
  state.callback = [&completed](RpcAsyncState& s) {
    Bytes reply;
    auto st = RpcAsyncCompleteCall(&s, &reply);
    completed.set_value({st, reply});
  };
  ASSERT_EQ(p.binding->call_async(state, test_interface_id(), test_op::kEcho, Bytes{4, 4}),
            status::kOk);
  auto result = completed.get_future();
  ASSERT_EQ(result.wait_for(kPatience), std::future_status::ready);
  auto [st, reply] = result.get();
  EXPECT_EQ(st, status::kOk);
  EXPECT_EQ(reply, (Bytes{4, 4}));
}

TEST(AsyncHandles, ManyAsyncCallsOnOneBindingRunAtOnce) {
  Pair p(Protseq::ncacn_ip_tcp);
  constexpr int kCalls = 16;
  std::vector<std::unique_ptr<Async>> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back(std::make_unique<Async>());
    ASSERT_EQ(p.binding->call_async(calls.back()->state, test_interface_id(), testing::kGated,
                                    Bytes{static_cast<std::uint8_t>(i)}),
              status::kOk);
  }
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started, kCalls));
  // Cancel every other one abortively; the rest finish when the gate opens.
  for (int i = 0; i < kCalls; i += 2)
    EXPECT_EQ(RpcAsyncCancelCall(&calls[static_cast<std::size_t>(i)]->state, true), status::kOk);
  // They complete before any routine returns, so no reply can race the cancels.
  for (int i = 0; i < kCalls; i += 2)
    ASSERT_TRUE(calls[static_cast<std::size_t>(i)]->done.wait_for(kPatience)) << i;
  p.open_gate();
  for (int i = 0; i < kCalls; ++i) {
    auto& a = *calls[static_cast<std::size_t>(i)];
    ASSERT_TRUE(a.done.wait_for(kPatience)) << i;
    Bytes reply;
    auto st = RpcAsyncCompleteCall(&a.state, &reply);
    if (i % 2 == 0) {
      EXPECT_EQ(st, status::kCallCancelled) << i;
    } else {
      EXPECT_EQ(st, status::kOk) << i;
      EXPECT_EQ(reply, Bytes{static_cast<std::uint8_t>(i)});
    }
  }
}

}  // namespace
}  // namespace rpcfit::rpc
