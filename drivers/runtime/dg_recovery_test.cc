// CS-DG-5 and CS-NEV-2/3 over ncadg_ip_udp: lost, duplicated and reordered datagrams are
// recovered, and a call never runs twice. A scripted decorator on the client's or the server's
// socket decides the fate of each datagram sent.
#include <gtest/gtest.h>
#include <atomic>
#include <future>
#include <thread>

#include "drivers/runtime/runtime_test_util.h"
#include "drivers/runtime/scripted_datagrams.h"
#include "drivers/runtime/scripted_peer.h"

namespace rpcfit::rpc {
namespace {

using testing::CallThread;
using testing::DatagramFate;
using testing::Pair;
using testing::scripted;
using testing::SeenPdu;
using transport::Protseq;
using wire::PType;

RuntimeOptions with_script(testing::DatagramScript script,
                           std::atomic<testing::ScriptedDatagrams*>* made = nullptr) {
  RuntimeOptions options;
  options.datagram_decorator = scripted(std::move(script), [made](testing::ScriptedDatagrams& s) {
    if (made != nullptr) made->store(&s);
  });
  return options;
}

// Drops the nth datagram of `type` (once).
testing::DatagramScript drop_nth(PType type, int n) {
  return [type, n](const wire::ClPdu& pdu, int nth) {
    return pdu.type == type && nth == n ? DatagramFate::drop : DatagramFate::deliver;
  };
}

Bytes pattern(std::size_t size) {
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<std::uint8_t>(i * 13 + 1);
  return out;
}

TEST(DgRecovery, CS_DG_5_ALostRequestIsSentAgainAndRunsOnce) {
  std::atomic<testing::ScriptedDatagrams*> client{nullptr};
  Pair p(Protseq::ncadg_ip_udp, 0.1, with_script(drop_nth(PType::request, 1), &client));
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{5}), Bytes{5});
  ASSERT_NE(client.load(), nullptr);
  EXPECT_EQ(client.load()->count(DatagramFate::drop), 1);
  EXPECT_EQ(p.capture.count("request"), 1u) << "the retransmission is what crossed the network";
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 1);
}

TEST(DgRecovery, CS_DG_5_ALostResponseIsSentAgainWithoutRunningTheCallTwice) {
  Pair p(Protseq::ncadg_ip_udp, 0.1, {}, with_script(drop_nth(PType::response, 1)));
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{6}), Bytes{6});
  // The client asked again (a retransmitted request or a ping); the server resent its reply.
  EXPECT_GE(p.capture.count("request") + p.capture.count("ping"), 2u);
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 1);  // CS-NEV-2
}

TEST(DgRecovery, CS_DG_5_DuplicatedDatagramsNeverRunACallTwice) {
  auto twice = [](const wire::ClPdu&, int) { return DatagramFate::duplicate; };
  Pair p(Protseq::ncadg_ip_udp, 0.1, with_script(twice), with_script(twice));
  for (std::uint8_t i = 0; i < 5; ++i)
    EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{i}), Bytes{i});
  auto big = pattern(12000);
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, big), big);
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 6);
}

TEST(DgRecovery, CS_DG_5_ReorderedFragmentsAreReassembledInBothDirections) {
  // Every third datagram is held back until the next one has gone.
  auto reorder = [](const wire::ClPdu& pdu, int nth) {
    return (pdu.type == PType::request || pdu.type == PType::response) && nth % 3 == 1
               ? DatagramFate::hold
               : DatagramFate::deliver;
  };
  Pair p(Protseq::ncadg_ip_udp, 0.1, with_script(reorder), with_script(reorder));
  auto big = pattern(30000);
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, big), big);
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 1);
}

TEST(DgRecovery, CS_DG_5_LossInBothDirectionsIsRecovered) {
  // Every fifth datagram of each socket is lost, whatever it is: fragments, facks, acks.
  auto lossy = [](const wire::ClPdu&, int nth) {
    return nth % 5 == 2 ? DatagramFate::drop : DatagramFate::deliver;
  };
  Pair p(Protseq::ncadg_ip_udp, 0.1, with_script(lossy), with_script(lossy));
  auto big = pattern(40000);
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, big), big);
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{1}), Bytes{1});
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 2);
}

TEST(DgRecovery, CS_DG_1_ALostCancelIsSentAgainUntilAcked) {
  std::atomic<testing::ScriptedDatagrams*> client{nullptr};
  Pair p(Protseq::ncadg_ip_udp, 0.1, with_script(drop_nth(PType::cl_cancel, 1), &client));
  CallThread call(*p.client, p.binding, test_op::kCancellable, milliseconds_input(60000));
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), 30), status::kOk);
  EXPECT_EQ(call.finish().raised, status::kCallCancelled);
  EXPECT_EQ(client.load()->count(DatagramFate::drop), 1);
  EXPECT_EQ(p.events.count(ServerEventKind::cancel_arrived), 1);
}

TEST(DgRecovery, CS_DG_1_ALostCancelAckMakesTheClientResendTheSameCancel) {
  Pair p(Protseq::ncadg_ip_udp, 0.1, {}, with_script(drop_nth(PType::cancel_ack, 1)));
  CallThread call(*p.client, p.binding, testing::kGated, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.cancel(call.thread_id(), -1), status::kOk);
  ASSERT_TRUE(p.capture.wait_until([](const std::vector<SeenPdu>& pdus) {
    return !testing::of_type(pdus, "cancel_ack", false).empty();
  }));
  p.open_gate();
  EXPECT_TRUE(call.finish().returned);
  std::size_t cancels = 0;
  for (const auto& pdu : p.capture.pdus()) {
    if (pdu.type == "cl_cancel") {
      ++cancels;
      EXPECT_EQ(load_le32(pdu.bytes.data() + 84), 1u) << "a retransmission keeps its cancel_id";
    }
  }
  EXPECT_GE(cancels, 2u);
  EXPECT_EQ(p.events.count(ServerEventKind::cancel_arrived), 1) << "counted once";
}

TEST(DgRecovery, ASilentServerFailsTheCallWithCommFailure) {
  auto silent = [](const wire::ClPdu&, int) { return DatagramFate::drop; };
  BindingOptions options;
  options.dg_comm_timeout = seconds(3);
  Pair p(Protseq::ncadg_ip_udp, 0.1, {}, with_script(silent), options);
  EXPECT_EQ(testing::raised_by([&] { p.binding->call(test_interface_id(), 0, Bytes{}); }),
            status::kCommFailure);
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 1);
}

TEST(DgRecovery, CS_NEV_3_GarbageDatagramsDoNotStopTheServer) {
  Pair p(Protseq::ncadg_ip_udp);
  testing::RawUdp peer;
  peer.send_to_port(static_cast<std::uint16_t>(std::stoi(p.endpoint)));
  Bytes junk(200, 0x04);  // version 4, then nonsense
  junk[1] = 0;
  for (std::size_t i = 0; i < 20; ++i) {
    junk[74] = static_cast<std::uint8_t>(i * 37);  // body lengths that lie
    peer.send(ByteView(junk.data(), junk.size() - i));
  }
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{7}), Bytes{7});
}

// The request is lost and the cl_cancel behind it arrives first: the server has no such call
// and acks the cancel as not accepting. The client sends the cancel again until the call is
// there to hear it, so the routine sees it (CS-DG-1, CS-DG-2) rather than the thread's next call.
TEST(DgRecovery, CS_DG_1_ACancelThatOvertakesALostRequestStillReachesTheCall) {
  Pair p(Protseq::ncadg_ip_udp, 0.1, with_script(drop_nth(PType::request, 1)));
  std::promise<ThreadId> id;
  std::promise<void> go;
  auto go_future = go.get_future().share();
  RpcStatus raised = status::kOk;
  std::thread caller([&] {
    id.set_value(p.client->GetCurrentThreadId());
    go_future.wait();
    raised = testing::raised_by([&] {
      p.binding->call(test_interface_id(), test_op::kCancellable, milliseconds_input(600000));
    });
  });
  // Posted before the call: it goes as a cl_cancel right behind the (lost) request.
  EXPECT_EQ(p.cancel(id.get_future().get(), -1), status::kOk);
  go.set_value();
  caller.join();
  EXPECT_EQ(raised, status::kCallCancelled);
  EXPECT_EQ(p.events.count(ServerEventKind::cancel_arrived), 1);
  EXPECT_EQ(p.events.count(ServerEventKind::call_started), 1);
}

}  // namespace
}  // namespace rpcfit::rpc
