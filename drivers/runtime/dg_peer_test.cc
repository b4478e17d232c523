// The datagram runtime against a peer played by hand on a bare UDP socket: a server that
// restarts under its client (boot times, CS-NEV-2), and a client that asks the server for more
// than it should get (bounded facks, resends and memory, CS-NEV-3).
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "drivers/runtime/dg_flow.h"
#include "drivers/runtime/dg_pdus.h"
#include "drivers/runtime/runtime_test_util.h"
#include "drivers/runtime/scripted_peer.h"
#include "harness/wire/codec.h"
#include "harness/wire/fragment.h"

namespace rpcfit::rpc {
namespace {

using testing::Pair;
using testing::RawUdp;
using transport::Protseq;
using wire::ClPdu;
using wire::PType;

constexpr int kPatienceMs = 20000;  // for what must arrive (real milliseconds)
constexpr int kQuietMs = 300;       // to see that nothing more comes

ClPdu request_to(const wire::SyntaxId& iface, std::uint16_t opnum, Bytes body) {
  ClPdu pdu;
  pdu.type = PType::request;
  pdu.flags1 = wire::clf1::kNoFack;
  pdu.interface_id = iface.uuid;
  pdu.interface_version = iface.version;
  static Random random(fresh_seed());  // distinct activities; the peer's replies need no seed
  pdu.activity = random_activity_uuid(random);
  pdu.opnum = opnum;
  pdu.body = wire::ClRaw{std::move(body)};
  return pdu;
}

ClPdu from_boot(ClPdu pdu, std::uint32_t boot) {
  pdu.server_boot = boot;
  return pdu;
}

// A client runtime whose binding names the hand-played server.
struct FakeServer {
  RawUdp socket;
  RealClock clock{0.1};
  std::unique_ptr<Runtime> runtime;
  std::shared_ptr<Binding> binding;
  FakeServer() {
    RuntimeOptions options;
    options.clock = &clock;
    runtime = std::make_unique<Runtime>(options);
    binding = *Binding::from_string(
        *runtime, "ncadg_ip_udp:127.0.0.1[" + std::to_string(socket.port()) + "]");
  }
  RpcStatus call() {
    return testing::raised_by([&] { binding->call(test_interface_id(), 0, Bytes{}); });
  }
};

TEST(DgPeer, CS_NEV_2_AServerRestartedBetweenCallsCostsOneCallNotTheBinding) {
  FakeServer fake;
  std::vector<std::uint32_t> boots;
  std::thread server([&] {
    // Instance 1111 answers the first call, then "restarts" as 2222, which rejects requests
    // naming another instance.
    while (boots.size() < 3) {
      auto pdu = fake.socket.receive_pdu(kPatienceMs);
      if (!pdu) return;
      if (pdu->type != PType::request) continue;
      boots.push_back(pdu->server_boot);
      if (boots.size() == 1) {
        fake.socket.send(from_boot(about_call(*pdu, PType::response), 1111));
      } else if (pdu->server_boot != 0 && pdu->server_boot != 2222) {
        fake.socket.send(from_boot(make_cl_status(*pdu, PType::reject, nca::kWrongBootTime), 2222));
      } else {
        fake.socket.send(from_boot(about_call(*pdu, PType::response), 2222));
      }
    }
  });
  EXPECT_EQ(fake.call(), status::kOk);
  // The new instance refused the call: it never ran anywhere.
  EXPECT_EQ(fake.call(), status::kCallFailedDne);
  EXPECT_EQ(fake.call(), status::kOk) << "the binding stays bound to the old instance";
  server.join();
  EXPECT_EQ(boots, (std::vector<std::uint32_t>{0, 1111, 0}));
}

TEST(DgPeer, CS_NEV_2_AServerRestartedDuringACallFailsItRatherThanRunningItAgain) {
  FakeServer fake;
  std::thread server([&] {
    auto request = fake.socket.receive_pdu(kPatienceMs);
    if (!request) return;
    fake.socket.send(from_boot(about_call(*request, PType::working), 1111));
    for (;;) {
      auto pdu = fake.socket.receive_pdu(kPatienceMs);
      if (!pdu) return;
      if (pdu->type == PType::ping) {
        fake.socket.send(from_boot(about_call(*pdu, PType::nocall), 2222));  // restarted
        return;
      }
    }
  });
  EXPECT_EQ(fake.call(), status::kCallFailed);  // it may have run at the old instance
  server.join();
  // The call is over, so all it sent is queued on loopback: no request went again.
  while (auto pdu = fake.socket.receive_pdu(0))
    EXPECT_NE(pdu->type, PType::request);
}

TEST(DgPeer, ARequestSentAgainAfterNocallNamesTheInstanceItLearned) {
  FakeServer fake;
  std::optional<std::uint32_t> resent_boot;
  std::thread server([&] {
    int requests = 0;
    for (;;) {
      auto pdu = fake.socket.receive_pdu(kPatienceMs);
      if (!pdu) return;
      if (pdu->type == PType::request && ++requests == 1) {
        fake.socket.send(from_boot(about_call(*pdu, PType::working), 1111));
      } else if (pdu->type == PType::ping) {
        fake.socket.send(from_boot(about_call(*pdu, PType::nocall), 1111));  // it lost the call
      } else if (pdu->type == PType::request) {
        resent_boot = pdu->server_boot;
        fake.socket.send(from_boot(about_call(*pdu, PType::response), 1111));
        return;
      }
    }
  });
  EXPECT_EQ(fake.call(), status::kOk);
  server.join();
  ASSERT_TRUE(resent_boot.has_value());
  EXPECT_EQ(*resent_boot, 1111u) << "a restarted server could not refuse it";
}

// The server's boot time from its answer to a request of an unknown interface.
std::uint32_t boot_of(const std::string& endpoint) {
  RawUdp client;
  client.send_to_port(static_cast<std::uint16_t>(std::stoi(endpoint)));
  auto other = test_interface_id();
  other.uuid.time_low ^= 1;
  client.send(request_to(other, 0, {}));
  auto reply = client.receive_pdu(kPatienceMs);
  return reply ? reply->server_boot : 0;
}

TEST(DgPeer, ServersStartedWithinOneSecondHaveDifferentBootTimes) {
  Pair first(Protseq::ncadg_ip_udp);
  Pair second(Protseq::ncadg_ip_udp);
  const auto a = boot_of(first.endpoint);
  const auto b = boot_of(second.endpoint);
  EXPECT_NE(a, 0u);
  EXPECT_NE(b, 0u);
  EXPECT_NE(a, b);
}

// A hand-played client of a Pair's server.
struct FakeClient {
  RawUdp socket;
  explicit FakeClient(const Pair& p) {
    socket.send_to_port(static_cast<std::uint16_t>(std::stoi(p.endpoint)));
  }
  // Sends a fragmented echo request of `size` bytes and collects the first burst of the reply.
  std::vector<ClPdu> call_echo(std::size_t size) {
    auto whole = request_to(test_interface_id(), test_op::kEcho, Bytes(size, 7));
    whole.flags1 = 0;
    request = *wire::fragment_cl(whole, kDgFragmentBody);
    for (const auto& fragment : request)
      socket.send(fragment);
    std::vector<ClPdu> burst;
    auto first = socket.receive_pdu(kPatienceMs);
    for (auto pdu = first; pdu; pdu = socket.receive_pdu(kQuietMs)) {
      if (pdu->type == PType::response) burst.push_back(*pdu);
    }
    return burst;
  }
  // Received bytes and datagrams until the server is quiet.
  std::pair<std::size_t, std::size_t> drain() {
    std::size_t bytes = 0;
    std::size_t datagrams = 0;
    while (auto datagram = socket.receive(kQuietMs)) {
      bytes += datagram->size();
      ++datagrams;
    }
    return {bytes, datagrams};
  }
  std::vector<ClPdu> request;
};

ClPdu fack_of(const ClPdu& about, std::uint16_t through, std::vector<std::uint32_t> selack,
              std::uint16_t window) {
  auto fack = about_call(about, PType::fack);
  fack.fragnum = through;
  wire::ClFack body;
  body.vers = 1;
  body.window_size = window;
  body.serial_num = static_cast<std::uint16_t>((about.serial_hi << 8) | about.serial_lo);
  body.selack = std::move(selack);
  fack.body = body;
  return fack;
}

TEST(DgPeer, CS_NEV_3_AFragmentFarAheadBuysNoLargeFack) {
  Pair p(Protseq::ncadg_ip_udp);
  FakeClient client(p);
  auto fragment = request_to(test_interface_id(), test_op::kEcho, {});
  fragment.flags1 = wire::clf1::kFrag;  // asks for a fack
  fragment.fragnum = 65534;
  std::size_t sent = 0;
  std::size_t received = 0;
  for (int i = 0; i < 10; ++i) {
    sent += client.socket.send(fragment);
    received += client.drain().first;
  }
  EXPECT_LE(received, 2 * sent);
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{3}), Bytes{3});
}

TEST(DgPeer, CS_NEV_3_RepeatedFacksDoNotMakeTheServerSendTheReplyAgain) {
  Pair p(Protseq::ncadg_ip_udp);
  FakeClient client(p);
  auto burst = client.call_echo(55000);
  ASSERT_FALSE(burst.empty());
  const std::size_t fragments = (55000 + kDgFragmentBody - 1) / kDgFragmentBody;
  // Facks that acknowledge only the highest fragment seen, echoing its serial, largest window.
  const auto highest = burst.back();
  std::vector<std::uint32_t> selack(static_cast<std::size_t>(highest.fragnum / 32 + 1), 0);
  selack.back() = 1u << (highest.fragnum % 32);
  const auto fack = fack_of(highest, 0xFFFF, selack, 0xFFFF);
  // The first: the fragments sent before the one it echoes are lost, so they go again, and the
  // rest of the reply follows.
  client.socket.send(fack);
  EXPECT_LE(client.drain().second, fragments);
  // The same fack again: everything it does not acknowledge was sent after the fragment it
  // echoes, so it is in flight, not lost.
  std::size_t datagrams = 0;
  for (int i = 0; i < 19; ++i) {
    client.socket.send(fack);
    datagrams += client.drain().second;
  }
  EXPECT_EQ(datagrams, 0u);
}

TEST(DgPeer, CS_NEV_3_PingsForAReplyTheClientHasGetOneFragmentOrNothing) {
  Pair p(Protseq::ncadg_ip_udp);
  FakeClient client(p);
  auto burst = client.call_echo(30000);
  ASSERT_FALSE(burst.empty());
  const auto fragments =
      static_cast<std::uint16_t>((30000 + kDgFragmentBody - 1) / kDgFragmentBody);
  // Fack everything as it comes, until the last fragment is in.
  auto last = burst.back();
  for (int round = 0; round < 20 && last.fragnum + 1 < fragments; ++round) {
    client.socket.send(fack_of(last, last.fragnum, {}, 64));
    while (auto pdu = client.socket.receive_pdu(kQuietMs)) {
      if (pdu->type == PType::response && pdu->fragnum > last.fragnum) last = *pdu;
    }
  }
  ASSERT_EQ(last.fragnum + 1, fragments);
  client.socket.send(fack_of(last, last.fragnum, {}, 64));
  client.drain();
  client.socket.send(about_call(last, PType::ping));
  auto [bytes, datagrams] = client.drain();
  EXPECT_EQ(datagrams, 1u) << "a ping after the whole reply was facked gets its last fragment";
  client.socket.send(about_call(last, PType::ack));
  for (int i = 0; i < 5; ++i)
    client.socket.send(about_call(last, PType::ping));
  std::tie(bytes, datagrams) = client.drain();
  EXPECT_EQ(datagrams, 0u) << bytes << " bytes for an acknowledged reply";
}

TEST(DgPeer, CS_NEV_3_OnlyTheActivitysOwnClientIsHeardForIt) {
  Pair p(Protseq::ncadg_ip_udp);
  FakeClient client(p);
  auto burst = client.call_echo(30000);
  ASSERT_FALSE(burst.empty());
  FakeClient stranger(p);
  stranger.socket.send(fack_of(burst.back(), burst.back().fragnum, {}, 64));
  EXPECT_EQ(stranger.drain().second, 0u);
  EXPECT_EQ(client.drain().second, 0u) << "a stranger's fack moved the reply on";
  stranger.socket.send(about_call(burst.back(), PType::ping));
  auto answer = stranger.socket.receive_pdu(kPatienceMs);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->type, PType::nocall);
}

TEST(DgPeer, CS_NEV_3_RequestsBeyondTheEndpointsBufferAreRefusedAsTooBusy) {
  ServerOptions options;
  options.datagram_buffer = 32 * 1024;
  Pair p(Protseq::ncadg_ip_udp, 0.1, {}, {}, {}, options);
  EXPECT_EQ(testing::raised_by(
                [&] { p.binding->call(test_interface_id(), test_op::kEcho, Bytes(60000, 1)); }),
            status::kServerTooBusy);
  // What the refused call held is given back.
  const Bytes small(20000, 2);
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, small), small);
}

// A routine runs on the thread that received its request; one that never looks at its cancels
// (kGated waits on the test's gate, not through ServerCall) still leaves the endpoint answering:
// another thread takes over receiving after a grace.
TEST(DgPeer, CS_DG_5_ARoutineThatIgnoresItsCallDoesNotStopTheEndpoint) {
  Pair p(Protseq::ncadg_ip_udp);
  testing::CallThread gated(*p.client, p.binding, testing::kGated, Bytes{1});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{2}), Bytes{2});
  // Its cancel is acknowledged as accepted while it runs.
  EXPECT_EQ(p.cancel(gated.thread_id(), -1), status::kOk);
  EXPECT_TRUE(p.capture.wait_until([](const std::vector<testing::SeenPdu>& pdus) {
    return !testing::of_type(pdus, "cancel_ack", false).empty();
  }));
  p.open_gate();
  auto outcome = gated.finish();
  EXPECT_EQ(outcome.output, Bytes{1});
}

// stop() abandons a routine that ignores it; the caller may then destroy the capture sink and the
// observer. When the routine ends later, its reply goes out untapped and unreported (ASan would
// see a use after free).
TEST(DgPeer, AnAbandonedCallEndsWithoutTouchingTheSinkOrTheObserver) {
  static RealClock clock(0.1);  // must outlive abandoned routines (README), so this whole process
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> entered;
  auto sink = std::make_unique<testing::MemoryCapture>(clock);
  auto log = std::make_unique<testing::EventLog>();
  RuntimeOptions runtime_options;
  runtime_options.clock = &clock;
  runtime_options.capture = sink.get();
  Runtime runtime(runtime_options);
  ServerOptions options;
  options.observer = log->observer();
  Server server(runtime, options);
  auto registration = test_interface();
  constexpr std::uint16_t kHeld = 77;
  registration.routines[kHeld] = [&entered, released](ServerCall&, ByteView input) {
    entered.set_value();
    released.wait();  // ignores the server stopping
    return Bytes(input.begin(), input.end());
  };
  server.register_interface(std::move(registration));
  RawUdp client;
  client.send_to_port(static_cast<std::uint16_t>(std::stoi(*server.listen(Protseq::ncadg_ip_udp))));
  client.send(request_to(test_interface_id(), kHeld, Bytes(3000, 1)));  // a fragmented reply
  entered.get_future().wait();
  EXPECT_EQ(server.stop(std::chrono::seconds(2)), 1u);
  sink.reset();
  log.reset();
  release.set_value();
  auto reply = client.receive_pdu(kPatienceMs);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->type, PType::response);
}

TEST(DgPeer, CS_NEV_3_ACallThatWouldNeedAThreadBeyondTheLimitIsRefusedAsTooBusy) {
  ServerOptions options;
  options.max_connections = 2;  // one receives, one runs a call
  Pair p(Protseq::ncadg_ip_udp, 0.1, {}, {}, {}, options);
  testing::CallThread gated(*p.client, p.binding, testing::kGated, Bytes{1});
  ASSERT_TRUE(p.events.wait_for(ServerEventKind::call_started));
  EXPECT_EQ(
      testing::raised_by([&] { p.binding->call(test_interface_id(), test_op::kEcho, Bytes{2}); }),
      status::kServerTooBusy);
  p.open_gate();
  EXPECT_EQ(gated.finish().output, Bytes{1});
  EXPECT_EQ(p.binding->call(test_interface_id(), test_op::kEcho, Bytes{3}), Bytes{3});
}

}  // namespace
}  // namespace rpcfit::rpc
