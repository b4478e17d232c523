// Asynchronous manager routines: completed or aborted from another thread, with
// RpcServerTestCancel on the async call (CS-SRV-2) over connection-oriented and datagram calls.
#include "drivers/runtime/server_async.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "drivers/runtime/runtime_test_util.h"

namespace rpcfit::rpc {
namespace {

using testing::CallThread;
using testing::Pair;
using transport::Protseq;

constexpr std::uint16_t kAsyncOp = 20;

// Runs async routines on threads of its own, as an application would.
class Workers {
 public:
  ~Workers() {
    for (auto& t : threads_)
      t.join();
  }
  template <class Fn>
  void run(Fn&& fn) {
    std::lock_guard lock(mu_);
    threads_.emplace_back(std::forward<Fn>(fn));
  }

 private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

class AsyncServer : public ::testing::TestWithParam<Protseq> {};

TEST_P(AsyncServer, ARoutineCompletedFromAnotherThreadReturnsItsResults) {
  Workers workers;
  Pair p(GetParam());
  InterfaceRegistration reg = test_interface();
  reg.routines[kAsyncOp] = async_manager([&](std::shared_ptr<AsyncServerCall> call, ByteView in) {
    Bytes reversed(in.rbegin(), in.rend());
    workers.run([call, reversed] {
      EXPECT_EQ(RpcAsyncCompleteCall(*call, reversed), status::kOk);
      EXPECT_EQ(RpcAsyncCompleteCall(*call, {}), status::kInvalidAsyncCall) << "only once";
    });
  });
  p.server->register_interface(reg);
  EXPECT_EQ(p.binding->call(test_interface_id(), kAsyncOp, Bytes{1, 2, 3}), (Bytes{3, 2, 1}));
}

TEST_P(AsyncServer, CS_SRV_2_RpcServerTestCancelSeesTheCancelOfAnAsyncCall) {
  Workers workers;
  Pair p(GetParam());
  std::promise<std::pair<RpcStatus, RpcStatus>> tested;  // before and after the cancel
  std::promise<std::shared_ptr<AsyncServerCall>> kept;
  InterfaceRegistration reg = test_interface();
  reg.routines[kAsyncOp] = async_manager([&](std::shared_ptr<AsyncServerCall> call, ByteView) {
    kept.set_value(call);
    workers.run([call, &tested] {
      auto* handle = RpcAsyncGetCallHandle(*call);
      ASSERT_NE(handle, nullptr);
      const auto before = RpcServerTestCancel(handle);
      auto* server_call = dynamic_cast<ServerCall*>(handle);
      ASSERT_NE(server_call, nullptr);
      server_call->wait_for_cancel(seconds(60));
      const auto after = RpcServerTestCancel(handle);
      tested.set_value({before, after});
      RpcAsyncAbortCall(*call, status::kCallCancelled);  // CS-SRV-3 from an async routine
    });
  });
  p.server->register_interface(reg);
  CallThread call(*p.client, p.binding, kAsyncOp, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  // The worker tests once before the cancel can have been posted; it waits for it after.
  EXPECT_EQ(p.cancel(call.thread_id(), 30), status::kOk);
  EXPECT_EQ(call.finish().raised, status::kCallCancelled);
  auto [before, after] = tested.get_future().get();
  EXPECT_TRUE(before == status::kCallInProgress || before == status::kOk);
  EXPECT_EQ(after, status::kOk);
  // The fault has been sent, so the call has ended at the server.
  auto handle = kept.get_future().get();
  EXPECT_EQ(handle->test_cancel(), status::kNoCallActive);
  EXPECT_EQ(RpcAsyncGetCallHandle(*handle), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Protseqs, AsyncServer,
                         ::testing::Values(Protseq::ncacn_ip_tcp, Protseq::ncadg_ip_udp),
                         [](const auto& param_info) {
                           return std::string(transport::protseq_name(param_info.param));
                         });

TEST(AsyncServerStop, AnAsyncCallNeverCompletedEndsWithTheServer) {
  std::shared_ptr<AsyncServerCall> kept;
  std::promise<void> started;
  Pair p(Protseq::ncacn_ip_tcp);
  InterfaceRegistration reg = test_interface();
  reg.routines[kAsyncOp] = async_manager([&](std::shared_ptr<AsyncServerCall> call, ByteView) {
    kept = call;
    started.set_value();
  });
  p.server->register_interface(reg);
  CallThread call(*p.client, p.binding, kAsyncOp, Bytes{});
  started.get_future().wait();
  EXPECT_EQ(p.server->stop(seconds(5)), 0u) << "the waiting thread leaves when the server stops";
  EXPECT_NE(call.finish().raised, status::kOk);
  EXPECT_EQ(RpcAsyncCompleteCall(*kept, {}), status::kInvalidAsyncCall);
  EXPECT_EQ(RpcAsyncGetCallHandle(*kept), nullptr);
}

}  // namespace
}  // namespace rpcfit::rpc
