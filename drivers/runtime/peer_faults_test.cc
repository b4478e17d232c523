// Spec sections 4 (CS-CONN-*) and 8 against peers that misbehave: resets, garbage, silence, and
// no thread or descriptor left behind afterwards.
#include <gtest/gtest.h>

#include <future>

#include "drivers/runtime/runtime_test_util.h"
#include "drivers/runtime/scripted_peer.h"

namespace rpcfit::rpc {
namespace {

using std::chrono::milliseconds;
using testing::CallThread;
using testing::RawSocket;
using testing::ScriptedServer;

using testing::kLate;

struct Client {
  Client() : clock(0.1), capture(clock) {
    RuntimeOptions options;
    options.clock = &clock;
    options.capture = &capture;
    runtime = std::make_unique<Runtime>(options);
  }
  std::shared_ptr<Binding> bind(const std::string& text, BindingOptions options = {}) {
    auto made = Binding::from_string(*runtime, text, options);
    EXPECT_TRUE(made.ok());
    return made.ok() ? *made : nullptr;
  }
  RpcStatus cancel(ThreadId id, long timeout) {
    auto h = runtime->OpenThread(access::kThreadAllAccess, id);
    auto s = runtime->RpcCancelThreadEx(h, timeout);
    runtime->CloseHandle(h);
    return s;
  }
  RealClock clock;
  testing::MemoryCapture capture;
  std::unique_ptr<Runtime> runtime;
};

// Reads the bind and never answers it, until `released`.
ScriptedServer::Script silent_after_bind(std::shared_future<void> released) {
  return [released](RawSocket& s, int) {
    s.read_pdu();
    released.wait_for(std::chrono::seconds(30));
  };
}

// Binds, reads the request, then runs `then`; later connections answer calls normally.
ScriptedServer::Script misbehave_after_request(std::function<void(RawSocket&)> then) {
  return [then](RawSocket& s, int index) {
    auto bind = s.read_pdu();
    if (!bind) return;
    s.write(testing::bind_ack_for(*bind));
    while (auto request = s.read_pdu()) {
      if (request->type != wire::PType::request) continue;
      if (index == 0) {
        then(s);
        return;
      }
      s.write(testing::response_for(*request, Bytes{0x42}));
    }
  };
}

TEST(PeerFaults, CS_CONN_1_AResetMidCallFailsTheCallAndTheNextCallReconnects) {
  ScriptedServer server(misbehave_after_request([](RawSocket& s) { s.reset(); }));
  Client client;
  auto binding = client.bind(server.binding());
  EXPECT_EQ(testing::raised_by([&] { binding->call(test_interface_id(), 0, Bytes{1}); }),
            status::kCallFailed);
  EXPECT_EQ(binding->call(test_interface_id(), 0, Bytes{1}), Bytes{0x42});
  EXPECT_EQ(binding->connections_opened(), 2u);
}

TEST(PeerFaults, CS_CONN_1_AnOrderlyCloseMidCallFailsTheCall) {
  ScriptedServer server(misbehave_after_request([](RawSocket& s) { s.close(); }));
  Client client;
  auto binding = client.bind(server.binding());
  EXPECT_EQ(testing::raised_by([&] { binding->call(test_interface_id(), 0, Bytes{1}); }),
            status::kCallFailed);
}

TEST(PeerFaults, CS_CONN_2_ALostConnectionAfterACancelEndsTheCallAsCancelledAtOnce) {
  std::promise<void> saw_cancel;
  ScriptedServer server([&](RawSocket& s, int) {
    auto bind = s.read_pdu();
    if (!bind) return;
    s.write(testing::bind_ack_for(*bind));
    while (auto pdu = s.read_pdu()) {
      if (pdu->type == wire::PType::co_cancel) {
        s.reset();
        saw_cancel.set_value();
        return;
      }
    }
  });
  Client client;
  auto binding = client.bind(server.binding());
  CallThread call(*client.runtime, binding, 0, Bytes{1});
  ASSERT_TRUE(client.capture.wait_until([](const auto& pdus) {
    for (const auto& p : pdus) {
      if (p.type == "request") return true;
    }
    return false;
  }));
  EXPECT_EQ(client.cancel(call.thread_id(), kCancelInfiniteTimeout), status::kOk);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled) << outcome.what;
}

TEST(PeerFaults, APeerThatSendsGarbageFailsTheCallWithAProtocolError) {
  ScriptedServer server(misbehave_after_request([](RawSocket& s) {
    Bytes junk(16, 0xEE);
    s.write(junk);
    // Keep the connection open: the client must not wait for more.
    s.read_pdu();
  }));
  Client client;
  auto binding = client.bind(server.binding());
  auto start = client.clock.now();
  EXPECT_EQ(testing::raised_by([&] { binding->call(test_interface_id(), 0, Bytes{1}); }),
            status::kProtocolError);
  EXPECT_LT(client.clock.now() - start, kLate);
}

TEST(PeerFaults, AServerThatNeverAnswersTheBindFailsWithinTheSetupTimeout) {
  std::promise<void> release;
  ScriptedServer server(silent_after_bind(release.get_future().share()));
  Client client;
  BindingOptions options;
  options.setup_timeout = seconds(2);
  auto binding = client.bind(server.binding(), options);
  auto start = client.clock.now();
  EXPECT_EQ(testing::raised_by([&] { binding->call(test_interface_id(), 0, Bytes{1}); }),
            status::kServerUnavailable);
  EXPECT_GE(client.clock.now() - start, seconds(2));
  EXPECT_LT(client.clock.now() - start, seconds(2) + kLate);
  release.set_value();
}

TEST(PeerFaults, CS_NEV_1_ACancelDuringAnUnansweredBindEndsTheCallAtItsTimeout) {
  std::promise<void> release;
  ScriptedServer server(silent_after_bind(release.get_future().share()));
  Client client;
  auto binding = client.bind(server.binding());  // setup timeout: 30 s
  CallThread call(*client.runtime, binding, 0, Bytes{1});
  ASSERT_TRUE(client.capture.wait_until([](const auto& pdus) { return !pdus.empty(); }));
  auto posted = client.clock.now();
  EXPECT_EQ(client.cancel(call.thread_id(), 1), status::kOk);
  auto outcome = call.finish();
  EXPECT_EQ(outcome.raised, status::kCallCancelled) << outcome.what;
  EXPECT_GE(outcome.ended - posted, seconds(1));
  EXPECT_LT(outcome.ended - posted, seconds(1) + kLate);
  EXPECT_EQ(client.capture.sequence(), (std::vector<std::string>{"out bind"}));
  release.set_value();
}

TEST(PeerFaults, CS_NEV_3_ConnectionsBeyondTheServersLimitAreClosed) {
  testing::Pair p(transport::Protseq::ncacn_ip_tcp);
  ServerOptions options;
  options.max_connections = 2;
  Server small(*p.server_runtime, options);
  small.register_interface(test_interface());
  auto port =
      static_cast<std::uint16_t>(std::stoi(*small.listen(transport::Protseq::ncacn_ip_tcp)));
  // Two connections the server answers, so both are being served; a third is closed at once.
  auto a = testing::bound_socket(port);
  auto b = testing::bound_socket(port);
  auto c = RawSocket::connect_tcp(port);
  EXPECT_FALSE(c.read_pdu().has_value());
  EXPECT_LE(small.open_connections(), 2u);
}

TEST(PeerFaults, ARefusedConnectionIsServerUnavailable) {
  std::uint16_t port = 0;
  {
    ScriptedServer gone([](RawSocket&, int) {});
    port = gone.port();
  }
  Client client;
  auto binding = client.bind("ncacn_ip_tcp:127.0.0.1[" + std::to_string(port) + "]");
  EXPECT_EQ(testing::raised_by([&] { binding->call(test_interface_id(), 0, Bytes{}); }),
            status::kServerUnavailable);
}

TEST(PeerFaults, CS_NEV_3_AMalformedPduEndsOnlyItsOwnConnection) {
  testing::Pair p(transport::Protseq::ncacn_ip_tcp);
  auto port = static_cast<std::uint16_t>(std::stoi(p.endpoint));
  auto bad = RawSocket::connect_tcp(port);
  // A header that claims version 5 but a fragment shorter than itself.
  ASSERT_TRUE(bad.write(Bytes{5, 0, 0, 3, 0x10, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0}));
  EXPECT_FALSE(bad.read_pdu().has_value()) << "the server closes the bad connection";
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{9}), Bytes{9});
}

TEST(PeerFaults, CS_SRV_6_CancelsForUnknownCallsAreIgnoredAndTheConnectionStaysUp) {
  testing::Pair p(transport::Protseq::ncacn_ip_tcp);
  auto port = static_cast<std::uint16_t>(std::stoi(p.endpoint));
  auto s = testing::bound_socket(port);
  wire::CoPdu stray;
  stray.type = wire::PType::co_cancel;
  stray.flags = 0x06;
  stray.call_id = 999;
  ASSERT_TRUE(s.write(stray));
  stray.type = wire::PType::orphaned;
  stray.flags = 0x03;
  stray.call_id = 998;
  ASSERT_TRUE(s.write(stray));
  wire::CoPdu request;
  request.type = wire::PType::request;
  request.flags = 0x03;
  request.call_id = 2;
  request.body = wire::CoRequest{0, 0, test_op::kEcho, std::nullopt, Bytes{1, 2, 3}};
  ASSERT_TRUE(s.write(request));
  auto reply = s.read_pdu();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->type, wire::PType::response);
  EXPECT_EQ(reply->call_id, 2u);
  EXPECT_EQ(std::get<wire::CoResponse>(reply->body).cancel_count, 0);
}

TEST(PeerFaults, NoThreadOrDescriptorOutlivesFailedCalls) {
  // Warm up lazily created process state (thread-local storage, the default clock).
  { testing::Pair warm(transport::Protseq::ncacn_ip_tcp); }
  auto threads_before = testing::thread_count();
  auto fds_before = testing::fd_count();
  {
    ScriptedServer reset(misbehave_after_request([](RawSocket& s) { s.reset(); }));
    ScriptedServer garbage(misbehave_after_request([](RawSocket& s) { s.write(Bytes(16, 0xEE)); }));
    Client client;
    for (const auto* server : {&reset, &garbage}) {
      auto binding = client.bind(server->binding());
      EXPECT_THROW(binding->call(test_interface_id(), 0, Bytes{1}), RpcException);
    }
    testing::Pair p(transport::Protseq::ncacn_ip_tcp);
    CallThread call(*p.client, p.binding, test_op::kDeaf, milliseconds_input(2000));
    ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
    EXPECT_EQ(p.cancel(call.thread_id(), 0), status::kOk);
    EXPECT_EQ(call.finish().raised, status::kCallCancelled);
    ASSERT_TRUE(p.events.wait_for(ServerEventKind::result_discarded));
  }
  EXPECT_EQ(testing::thread_count(), threads_before);
  EXPECT_EQ(testing::fd_count(), fds_before);
}

}  // namespace
}  // namespace rpcfit::rpc
