// Each server behaviour on a real call, with a cancel where the behaviour is about one: what the
// client gets, what the routine recorded, and what the runtime did with the result.
#include "drivers/server/behaviour.h"

#include <gtest/gtest.h>

#include "drivers/runtime/runtime_test_util.h"
#include "drivers/runtime/test_interface.h"
#include "drivers/server/serve_interface.h"

namespace rpcfit::server {
namespace {

using rpc::milliseconds_input;
using rpc::test_interface_id;
using rpc::testing::CallThread;
using rpc::testing::kPatience;
using rpc::testing::Pair;
using transport::Protseq;

rpc::ServerOptions recording_into(std::shared_ptr<EventRecorder> recorder,
                                  rpc::ServerOptions options = {}) {
  options.observer = [recorder](const rpc::ServerEvent& e) { recorder->on_server_event(e); };
  return options;
}

// A Pair whose server offers the serve interface and records its behaviours' events.
struct Served {
  explicit Served(Protseq protseq, rpc::ServerOptions options = {},
                  rpc::BindingOptions binding = {})
      : p(protseq, 0.1, {}, {}, binding, recording_into(recorder, std::move(options))) {
    p.server->register_interface(serve_interface(recorder));
  }
  Bytes call(std::uint16_t opnum, const Bytes& input) {
    return p.binding->call(test_interface_id(), opnum, input);
  }
  RpcStatus raised(std::uint16_t opnum, const Bytes& input) {
    return rpc::testing::raised_by([&] { call(opnum, input); });
  }
  std::vector<EventKind> kinds() const {
    std::vector<EventKind> out;
    for (const auto& e : recorder->events())
      out.push_back(e.kind);
    return out;
  }
  std::shared_ptr<EventRecorder> recorder = std::make_shared<EventRecorder>();
  Pair p;
};

class Behaviour : public ::testing::TestWithParam<Protseq> {};

TEST_P(Behaviour, NormalEchoesAtOnce) {
  Served s(GetParam());
  EXPECT_EQ(s.call(serve_op::kNormal, Bytes{1, 2, 3}), (Bytes{1, 2, 3}));
  EXPECT_EQ(s.kinds(), (std::vector<EventKind>{EventKind::started, EventKind::finished}));
}

TEST_P(Behaviour, NormalAnswersWithAResponseOfTheGivenSize) {
  Served s(GetParam());
  BehaviourSpec spec;
  spec.response_size = 5000;
  rpc::InterfaceRegistration registration{test_interface_id(), {}};
  registration.routines[0] = make_routine(spec, s.recorder);
  s.p.server->register_interface(registration);
  EXPECT_EQ(s.call(0, Bytes{9}), counting_bytes(5000));
}

TEST_P(Behaviour, SlowIgnoresACancelAndAnswersAfterItsDelay) {
  Served s(GetParam());
  CallThread call(*s.p.client, s.p.binding, serve_op::kSlow, milliseconds_input(3000));
  ASSERT_TRUE(s.recorder->wait_for(EventKind::started, 1, kPatience));
  EXPECT_EQ(s.p.cancel(call.thread_id(), -1), status::kOk);  // waits for the server
  auto outcome = call.finish();
  EXPECT_TRUE(outcome.returned) << outcome.what;
  EXPECT_EQ(outcome.output, milliseconds_input(3000));
  EXPECT_GE(outcome.ended, std::chrono::milliseconds(3000));
  EXPECT_EQ(s.recorder->count(EventKind::saw_cancel), 0);
}

TEST_P(Behaviour, HungNeverAnswersSoAFiniteCancelTimeoutEndsTheCall) {
  Served s(GetParam());
  CallThread call(*s.p.client, s.p.binding, serve_op::kHung, Bytes{});
  ASSERT_TRUE(s.recorder->wait_for(EventKind::started, 1, kPatience));
  EXPECT_EQ(s.p.cancel(call.thread_id(), 1), status::kOk);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled);
  EXPECT_EQ(s.recorder->count(EventKind::finished), 0) << "the stub runs on (CS-STUB-1)";
}

TEST_P(Behaviour, CancelAwarePollsSeesTheCancelAndRaisesIt) {
  Served s(GetParam());
  CallThread call(*s.p.client, s.p.binding, serve_op::kCancelRaise, Bytes{});
  ASSERT_TRUE(s.recorder->wait_for(EventKind::polled, 2, kPatience));
  EXPECT_EQ(s.p.cancel(call.thread_id(), -1), status::kOk);
  EXPECT_EQ(call.finish().raised, status::kCallCancelled);  // CS-SRV-3
  auto events = s.recorder->events();
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.front().kind, EventKind::started);
  EXPECT_EQ(events[1].kind, EventKind::polled);
  EXPECT_EQ(events[1].status, status::kNotCancelled);
  EXPECT_EQ(events.back().kind, EventKind::finished);
  EXPECT_EQ(events.back().status, status::kCallCancelled);
  const auto& seen = events[events.size() - 2];
  EXPECT_EQ(seen.kind, EventKind::saw_cancel);
  EXPECT_EQ(events[events.size() - 3].status, status::kOk) << "the poll that saw it";
}

TEST_P(Behaviour, CancelAwareMayReturnNormallyOnACancel) {
  Served s(GetParam());
  // It would answer on its own after a minute (scenario time): the cancel must come first, however
  // slowly this machine gets to it (7 ms, as this test had it, went by under load).
  CallThread call(*s.p.client, s.p.binding, serve_op::kCancelReturn, milliseconds_input(60000));
  ASSERT_TRUE(s.recorder->wait_for(EventKind::polled, 1, kPatience));
  EXPECT_EQ(s.p.cancel(call.thread_id(), -1), status::kOk);
  auto outcome = call.finish();
  EXPECT_TRUE(outcome.returned) << outcome.what;
  EXPECT_EQ(outcome.output, milliseconds_input(60000));
  EXPECT_LT(outcome.ended, std::chrono::milliseconds(60000));
  EXPECT_EQ(s.recorder->count(EventKind::saw_cancel), 1);
}

// CS-SRV-2: polling with RpcServerTestCancel on its own call, which answers
// RPC_S_CALL_IN_PROGRESS until the cancel arrives.
TEST_P(Behaviour, CancelAwareMayPollWithRpcServerTestCancel) {
  Served s(GetParam());
  BehaviourSpec spec;
  spec.kind = BehaviourKind::cancel_aware;
  spec.poll_with = PollWith::server_test_cancel;
  rpc::InterfaceRegistration registration{test_interface_id(), {}};
  registration.routines[9] = make_routine(spec, s.recorder);
  s.p.server->register_interface(registration);
  CallThread call(*s.p.client, s.p.binding, 9, Bytes{});
  ASSERT_TRUE(s.recorder->wait_for(EventKind::polled, 2, kPatience));
  EXPECT_EQ(s.p.cancel(call.thread_id(), -1), status::kOk);
  EXPECT_EQ(call.finish().raised, status::kCallCancelled);
  const auto events = s.recorder->events();
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events[1].kind, EventKind::polled);
  EXPECT_EQ(events[1].status, status::kCallInProgress);
  EXPECT_EQ(events[events.size() - 3].kind, EventKind::polled);
  EXPECT_EQ(events[events.size() - 3].status, status::kOk);
  EXPECT_EQ(events[events.size() - 2].kind, EventKind::saw_cancel);
}

TEST_P(Behaviour, CancelAwareWithoutACancelAnswersAfterItsRunTime) {
  Served s(GetParam());
  EXPECT_EQ(s.call(serve_op::kCancelRaise, milliseconds_input(500)), milliseconds_input(500));
  EXPECT_GE(s.recorder->count(EventKind::polled), 2);
  EXPECT_EQ(s.recorder->count(EventKind::saw_cancel), 0);
}

TEST_P(Behaviour, DenyFaultsWithAccessDenied) {
  Served s(GetParam());
  EXPECT_EQ(s.raised(serve_op::kDeny, Bytes{}), status::kAccessDenied);  // CS-SRV-7
  auto events = s.recorder->events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].status, status::kAccessDenied);
}

TEST_P(Behaviour, CrashEndsTheCallWithoutAResult) {
  rpc::BindingOptions binding;
  binding.dg_comm_timeout = std::chrono::seconds(3);  // a crashed datagram server just goes silent
  Served s(GetParam(), {}, binding);
  const auto raised = s.raised(serve_op::kCrash, Bytes{});
  EXPECT_TRUE(raised == status::kCallFailed || raised == status::kCommFailure) << raised;
  EXPECT_TRUE(s.recorder->wait_for(EventKind::result_discarded, 1, kPatience));
  // The server serves on: another connection or activity gets its answers.
  s.p.binding = *rpc::Binding::from_string(*s.p.client, s.p.string_binding);
  EXPECT_EQ(s.call(serve_op::kNormal, Bytes{4}), Bytes{4});
}

INSTANTIATE_TEST_SUITE_P(Protseqs, Behaviour,
                         ::testing::Values(Protseq::ncacn_ip_tcp, Protseq::ncadg_ip_udp),
                         [](const auto& param_info) {
                           return std::string(transport::protseq_name(param_info.param));
                         });

TEST(BehaviourCrash, AfterNBytesTheClientGetsACutOffResponse) {
  Served s(Protseq::ncacn_ip_tcp);
  Bytes input(200, 1);
  input[0] = 30;  // crash after 30 bytes: a response header and a little more
  input[1] = input[2] = input[3] = 0;
  EXPECT_EQ(s.raised(serve_op::kCrash, input), status::kCallFailed);
  const auto pdus = s.p.capture.pdus();
  auto inbound = rpc::testing::of_type(pdus, "response", false);
  EXPECT_TRUE(inbound.empty()) << "a cut-off PDU is no response";
}

TEST(BehaviourNames, RoundTrip) {
  for (auto kind : {BehaviourKind::normal, BehaviourKind::slow, BehaviourKind::hung,
                    BehaviourKind::cancel_aware, BehaviourKind::deny, BehaviourKind::crash}) {
    EXPECT_EQ(parse_behaviour(behaviour_name(kind)), kind);
  }
  EXPECT_FALSE(parse_behaviour("cancel_deaf").has_value()) << "deaf is the runtime's";
}

}  // namespace
}  // namespace rpcfit::server
