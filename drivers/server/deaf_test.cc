// A cancel-deaf server runtime (ServerOptions::cancel_deaf), as spec section 9 records of Windows
// and Samba servers: co_cancel, orphaned and cl_cancel go unheard, and a first fragment carrying
// PFC_PENDING_CANCEL is faulted with 0x6BD, DID_NOT_EXECUTE, and the connection closed.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "drivers/runtime/runtime_test_util.h"
#include "drivers/runtime/scripted_peer.h"
#include "drivers/runtime/test_interface.h"
#include "drivers/server/behaviour.h"
#include "drivers/server/serve_interface.h"

namespace rpcfit::server {
namespace {

using rpc::test_interface_id;
using rpc::testing::CallThread;
using rpc::testing::kPatience;
using rpc::testing::of_type;
using rpc::testing::Pair;
using transport::Protseq;

struct Deaf {
  explicit Deaf(Protseq protseq) : p(protseq, 0.1, {}, {}, {}, deaf_options()) {
    p.server->register_interface(serve_interface(recorder));
  }
  rpc::ServerOptions deaf_options() {
    rpc::ServerOptions options;
    options.cancel_deaf = true;
    return options;
  }
  std::shared_ptr<EventRecorder> recorder = std::make_shared<EventRecorder>();
  Pair p;
};

class DeafServer : public ::testing::TestWithParam<Protseq> {};

TEST_P(DeafServer, ACancelNeverReachesTheRoutineSoTheTimeoutEndsTheCall) {
  Deaf d(GetParam());
  CallThread call(*d.p.client, d.p.binding, serve_op::kCancelRaise, Bytes{});
  ASSERT_TRUE(d.recorder->wait_for(EventKind::polled, 1, kPatience));
  const auto cancelled_at = d.p.clock.now();
  EXPECT_EQ(d.p.cancel(call.thread_id(), 2), status::kOk);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled);
  EXPECT_GE(outcome.ended - cancelled_at, std::chrono::seconds(2));
  // Only the connection's end, once the client gave up, may tell the routine anything.
  for (const auto& event : d.recorder->events()) {
    if (event.kind == EventKind::saw_cancel) {
      EXPECT_GE(event.at - cancelled_at, std::chrono::seconds(2));
    }
  }
  EXPECT_EQ(d.p.events.count(rpc::ServerEventKind::cancel_arrived), 0);
  const auto pdus = d.p.capture.pdus();
  EXPECT_FALSE(of_type(pdus, "co_cancel", true).empty() && of_type(pdus, "cl_cancel", true).empty())
      << "the client did forward the cancel";
  EXPECT_TRUE(of_type(pdus, "cancel_ack", false).empty()) << "a deaf server acks no cl_cancel";
}

INSTANTIATE_TEST_SUITE_P(Protseqs, DeafServer,
                         ::testing::Values(Protseq::ncacn_ip_tcp, Protseq::ncadg_ip_udp),
                         [](const auto& param_info) {
                           return std::string(transport::protseq_name(param_info.param));
                         });

TEST(DeafServerCo, APendingCancelOnTheFirstFragmentIsFaultedAndTheConnectionClosed) {
  Deaf d(Protseq::ncacn_ip_tcp);
  std::promise<rpc::ThreadId> id;
  std::promise<void> go;
  auto go_future = go.get_future().share();
  RpcStatus raised = status::kOk;
  std::thread caller([&] {
    id.set_value(d.p.client->GetCurrentThreadId());
    go_future.wait();
    raised = rpc::testing::raised_by(
        [&] { d.p.binding->call(test_interface_id(), serve_op::kNormal, Bytes{1}); });
  });
  // Posted before the call: its first fragment carries PFC_PENDING_CANCEL (CS-PEND-1).
  EXPECT_EQ(d.p.cancel(id.get_future().get(), -1), status::kOk);
  go.set_value();
  caller.join();
  EXPECT_EQ(raised, status::kNoCallActive);  // 0x6BD
  const auto pdus = d.p.capture.pdus();
  auto faults = of_type(pdus, "fault", false);
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0]->flags,
            wire::pfc::kFirstFrag | wire::pfc::kLastFrag | wire::pfc::kDidNotExecute);
  EXPECT_EQ(d.recorder->count(EventKind::started), 0) << "the call never ran";
}

TEST(DeafServerCo, AfterFaultingAPendingCancelTheServerClosesTheConnection) {
  Deaf d(Protseq::ncacn_ip_tcp);
  auto s = rpc::testing::bound_socket(static_cast<std::uint16_t>(std::stoi(d.p.endpoint)));
  wire::CoPdu request;
  request.type = wire::PType::request;
  request.flags = wire::pfc::kFirstFrag | wire::pfc::kLastFrag | wire::pfc::kPendingCancel;
  request.call_id = 2;
  request.body = wire::CoRequest{1, 0, serve_op::kNormal, std::nullopt, Bytes{1}};
  ASSERT_TRUE(s.write(request));
  auto fault = s.read_pdu();
  ASSERT_TRUE(fault.has_value());
  ASSERT_EQ(fault->type, wire::PType::fault);
  EXPECT_EQ(std::get<wire::CoFault>(fault->body).status, nca::kNoCallActive);
  EXPECT_EQ(fault->flags, wire::pfc::kFirstFrag | wire::pfc::kLastFrag | wire::pfc::kDidNotExecute);
  EXPECT_FALSE(s.read_pdu().has_value()) << "the connection stays open";
}

}  // namespace
}  // namespace rpcfit::server
