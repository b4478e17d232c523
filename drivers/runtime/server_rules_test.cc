// Spec section 6 and the bind/request rules of the server, on real sockets.
#include <gtest/gtest.h>

#include <future>

#include "drivers/runtime/runtime_test_util.h"
#include "drivers/runtime/scripted_peer.h"
#include "harness/wire/codec.h"

namespace rpcfit::rpc {
namespace {

using testing::CallThread;
using testing::Pair;
using transport::Protseq;

constexpr std::uint16_t kProbe = 10;  // opnums added to the test interface by these tests

// Adds one routine to the test interface of `p`.
void add_routine(Pair& p, std::uint16_t opnum, ManagerRoutine routine) {
  auto reg = test_interface();
  reg.routines[opnum] = std::move(routine);
  p.server->register_interface(std::move(reg));
}

TEST(ServerRules, CS_SRV_1_RpcTestCancelIsNotCancelledBeforeAndOkAfterTheCancelArrives) {
  Pair p(Protseq::ncacn_ip_tcp);
  std::promise<std::pair<RpcStatus, RpcStatus>> seen;
  std::promise<void> asked;  // the routine has asked once: the cancel may come now
  add_routine(p, kProbe, [&](ServerCall& call, ByteView) {
    auto before = RpcTestCancel();
    asked.set_value();
    call.wait_for_cancel(seconds(600));
    seen.set_value({before, RpcTestCancel()});
    return Bytes{1};
  });
  EXPECT_EQ(RpcTestCancel(), status::kNoCallActive);  // outside a call
  CallThread call(*p.client, p.binding, kProbe, Bytes{});
  ASSERT_EQ(asked.get_future().wait_for(testing::kPatience), std::future_status::ready);
  EXPECT_EQ(p.cancel(call.thread_id(), 60), status::kOk);
  auto outcome = call.finish();
  auto [before, after] = seen.get_future().get();
  EXPECT_EQ(before, status::kNotCancelled);
  EXPECT_EQ(after, status::kOk);
  // The routine returned normally after seeing the cancel: results, no pending flag (CS-SRV-4).
  EXPECT_TRUE(outcome.returned) << outcome.what;
  for (const auto& pdu : p.capture.pdus()) {
    if (pdu.type == "response") {
      EXPECT_EQ(pdu.flags & 0x04, 0);
      EXPECT_EQ(pdu.bytes[22], 1);
    }
  }
}

TEST(ServerRules, CS_SRV_2_RpcServerTestCancelAnswersForTheCallTheBindingNames) {
  Pair p(Protseq::ncacn_ip_tcp);
  struct Seen {
    RpcStatus null_before, own_before, client_binding, null_after, own_after;
  };
  std::promise<Seen> seen;
  std::promise<void> asked;
  add_routine(p, kProbe, [&](ServerCall& call, ByteView) {
    Seen s{};
    s.null_before = RpcServerTestCancel(nullptr);
    s.own_before = RpcServerTestCancel(&call);
    s.client_binding = RpcServerTestCancel(p.binding.get());
    asked.set_value();
    call.wait_for_cancel(seconds(600));
    s.null_after = RpcServerTestCancel(nullptr);
    s.own_after = RpcServerTestCancel(&call);
    seen.set_value(s);
    return Bytes{};
  });
  EXPECT_EQ(RpcServerTestCancel(nullptr), status::kNoCallActive);
  CallThread call(*p.client, p.binding, kProbe, Bytes{});
  ASSERT_EQ(asked.get_future().wait_for(testing::kPatience), std::future_status::ready);
  EXPECT_EQ(p.cancel(call.thread_id(), 60), status::kOk);
  call.finish();
  auto s = seen.get_future().get();
  EXPECT_EQ(s.null_before, status::kCallInProgress);
  EXPECT_EQ(s.own_before, status::kCallInProgress);
  EXPECT_EQ(s.client_binding, status::kInvalidBinding);
  EXPECT_EQ(s.null_after, status::kOk);
  EXPECT_EQ(s.own_after, status::kOk);
}

TEST(ServerRules, CS_SRV_7_ADeniedCallerGetsFaultFiveAndRaisesAccessDenied) {
  Pair p(Protseq::ncacn_ip_tcp);
  add_routine(p, kProbe,
              [](ServerCall&, ByteView) -> Bytes { RpcRaiseException(status::kAccessDenied); });
  EXPECT_EQ(testing::raised_by([&] { p.binding->call(test_interface_id(), kProbe, Bytes{}); }),
            status::kAccessDenied);
  bool saw_fault = false;
  for (const auto& pdu : p.capture.pdus()) {
    if (pdu.type == "fault") {
      saw_fault = true;
      EXPECT_EQ(load_le32(pdu.bytes.data() + 24), 5u);
    }
  }
  EXPECT_TRUE(saw_fault);
  // The connection survives a fault and serves the next call.
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{3}), Bytes{3});
  EXPECT_EQ(p.binding->connections_opened(), 1u);
}

TEST(ServerRules, AnyOtherExceptionFromARoutineIsAnUnspecifiedFault) {
  Pair p(Protseq::ncacn_ip_tcp);
  add_routine(p, kProbe, [](ServerCall&, ByteView) -> Bytes { throw std::runtime_error("x"); });
  EXPECT_EQ(testing::raised_by([&] { p.binding->call(test_interface_id(), kProbe, Bytes{}); }),
            status::kCallFailed);
}

TEST(ServerRules, AnUnknownInterfaceGetsBindNak) {
  Pair p(Protseq::ncacn_ip_tcp);
  wire::SyntaxId other{*wire::Uuid::parse("12345678-1234-1234-1234-123456789abc"), 1};
  EXPECT_EQ(testing::raised_by([&] { p.binding->call(other, 0, Bytes{}); }), status::kUnknownIf);
  EXPECT_EQ(p.capture.sequence(), (std::vector<std::string>{"out bind", "in bind_nak"}));
  // A newer major version is another interface; a lower minor version is served.
  wire::SyntaxId v2 = test_interface_id();
  v2.version = 2;
  EXPECT_THROW(p.binding->call(v2, 0, Bytes{}), RpcException);
}

TEST(ServerRules, AnUnknownOpnumIsARangeFaultThatDidNotExecute) {
  Pair p(Protseq::ncacn_ip_tcp);
  EXPECT_EQ(testing::raised_by([&] { p.binding->call(test_interface_id(), 77, Bytes{}); }),
            status::kProcnumOutOfRange);
  auto pdus = p.capture.pdus();
  ASSERT_FALSE(pdus.empty());
  EXPECT_EQ(pdus.back().type, "fault");
  EXPECT_EQ(load_le32(pdus.back().bytes.data() + 24), nca::kOpRangeError);
  EXPECT_NE(pdus.back().flags & 0x20, 0) << "DID_NOT_EXECUTE";
}

TEST(ServerRules, LargeCallsAreFragmentedToTheNegotiatedSizesBothWays) {
  Pair p(Protseq::ncacn_ip_tcp);
  BindingOptions small;
  small.max_frag = 1432;
  auto binding = *Binding::from_string(*p.client, p.string_binding, small);
  Bytes input(20000);
  for (std::size_t i = 0; i < input.size(); ++i)
    input[i] = static_cast<std::uint8_t>(i * 7);
  EXPECT_EQ(binding->call(test_interface_id(), test_op::kEcho, input), input);
  int requests = 0;
  int responses = 0;
  for (const auto& pdu : p.capture.pdus()) {
    EXPECT_LE(pdu.bytes.size(), 1432u) << pdu.type;
    requests += pdu.type == "request" ? 1 : 0;
    responses += pdu.type == "response" ? 1 : 0;
  }
  EXPECT_EQ(requests, 15);  // 20000 stub bytes in fragments of 1408 (1432 less the header)
  EXPECT_EQ(responses, 15);
}

TEST(ServerRules, EachCallGetsAFreshCallIdOnOneReusedConnection) {
  Pair p(Protseq::ncacn_ip_tcp);
  for (int i = 0; i < 3; ++i)
    p.binding->call(test_interface_id(), test_op::kEcho, Bytes{});
  std::vector<std::uint32_t> ids;
  for (const auto& pdu : p.capture.pdus()) {
    if (pdu.type == "request") ids.push_back(pdu.call_id);
  }
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(p.capture.count("bind"), 1u);
  EXPECT_EQ(p.binding->connections_opened(), 1u);
}

TEST(ServerRules, AnObjectUuidInTheStringBindingGoesOnTheRequest) {
  Pair p(Protseq::ncacn_ip_tcp);
  auto text = "12345678-1234-1234-1234-123456789abc@" + p.string_binding;
  auto binding = *Binding::from_string(*p.client, text);
  EXPECT_EQ(binding->call(test_interface_id(), test_op::kEcho, Bytes{5}), Bytes{5});
  bool seen = false;
  for (const auto& pdu : p.capture.pdus()) {
    if (pdu.type != "request") continue;
    seen = true;
    EXPECT_NE(pdu.flags & 0x80, 0) << "PFC_OBJECT_UUID";
    auto decoded = wire::decode_co(pdu.bytes);
    ASSERT_TRUE(decoded.ok());
    const auto& request = std::get<wire::CoRequest>(decoded->body);
    ASSERT_TRUE(request.object.has_value());
    EXPECT_EQ(request.object->to_string(), "12345678-1234-1234-1234-123456789abc");
  }
  EXPECT_TRUE(seen);
}

TEST(ServerRules, BindTimeFeatureNegotiationIsAcknowledgedWithoutFeatures) {
  Pair p(Protseq::ncacn_ip_tcp);
  auto s = testing::RawSocket::connect_tcp(static_cast<std::uint16_t>(std::stoi(p.endpoint)));
  wire::SyntaxId btfn{*wire::Uuid::parse("6cb71c2c-9812-4540-0300-000000000000"), 1};
  wire::CoPdu bind;
  bind.type = wire::PType::bind;
  bind.flags = 0x03;
  bind.call_id = 1;
  bind.body = wire::CoBind{
      5840,
      5840,
      0,
      {{0, test_interface_id(), {wire::ndr_syntax()}}, {1, test_interface_id(), {btfn}}},
      {}};
  ASSERT_TRUE(s.write(bind));
  auto ack = s.read_pdu();
  ASSERT_TRUE(ack && ack->type == wire::PType::bind_ack);
  const auto& body = std::get<wire::CoBindAck>(ack->body);
  ASSERT_EQ(body.results.size(), 2u);
  EXPECT_EQ(body.results[0].result, 0);
  EXPECT_EQ(body.results[1].result, 3);
  EXPECT_EQ(body.results[1].reason, 0) << "KeepConnectionOnOrphan is not offered";
  EXPECT_EQ(body.secondary_address, p.endpoint);
}

TEST(ServerRules, StopAbandonsARoutineThatIgnoresItAfterTheBound) {
  Pair p(Protseq::ncacn_ip_tcp);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> ended;
  add_routine(p, kProbe, [released, &ended](ServerCall&, ByteView) {
    released.wait();  // ignores the server stopping
    ended.set_value();
    return Bytes{};
  });
  CallThread call(*p.client, p.binding, kProbe, Bytes{});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.server->stop(seconds(1)), 1u);
  release.set_value();
  ended.get_future().wait();
  call.finish();
}

TEST(ServerRules, StopWakesRoutinesWaitingThroughTheirCall) {
  Pair p(Protseq::ncacn_ip_tcp);
  CallThread call(*p.client, p.binding, test_op::kCancellable, milliseconds_input(600000));
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.server->stop(seconds(60)), 0u);
  call.finish();
  EXPECT_EQ(p.server->open_connections(), 0u);
}

}  // namespace
}  // namespace rpcfit::rpc
