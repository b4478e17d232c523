#include "drivers/transport/transport.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

#include "drivers/transport/test_support.h"

namespace rpcfit::transport {
namespace {

using std::chrono::milliseconds;
using test_support::cancel_pdu;
using test_support::concat;
using test_support::is_unix;
using test_support::RawSocket;
using test_support::Recorder;
using test_support::request_pdu;
using test_support::TempDir;

class TransportTest : public ::testing::TestWithParam<Protseq> {
 protected:
  TransportTest() {
    context_.clock = &clock_;
    context_.capture = &recorder_;
    context_.run_dir = dir_.path();
  }

  Deadline in(milliseconds d) const { return clock_.now() + d; }
  Deadline soon() const { return in(milliseconds(10'000)); }

  std::unique_ptr<StreamListener> listen_any() {
    auto l = listen(GetParam(), "", "", context_);
    EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.error());
    return l.ok() ? std::move(l.value()) : nullptr;
  }

  // A connected client and its accepted server side. The accept runs in another thread because an
  // ncacn_http connect returns only once accept() has sent the banner.
  std::pair<std::unique_ptr<StreamConnection>, std::unique_ptr<StreamConnection>> connect_pair(
      StreamListener& listener) {
    std::unique_ptr<StreamConnection> server;
    IoResult accepted;
    std::thread acceptor([&] { server = listener.accept(soon(), nullptr, accepted); });
    auto c = connect(GetParam(), "", listener.endpoint(), context_, soon());
    acceptor.join();
    EXPECT_TRUE(c.ok()) << c.error().detail;
    EXPECT_TRUE(accepted.ok()) << accepted.detail;
    if (!c.ok() || !server) return {};
    return {std::move(c.value()), std::move(server)};
  }

  void open(StreamListener& listener) {
    std::tie(client_, server_) = connect_pair(listener);
    ASSERT_NE(client_, nullptr);
    ASSERT_NE(server_, nullptr);
  }

  // A hand-driven client and the accepted server side, past the ncacn_http banner.
  struct RawPair {
    std::unique_ptr<StreamListener> listener;
    std::unique_ptr<RawSocket> raw;
    std::unique_ptr<StreamConnection> server;
  };
  RawPair raw_pair() {
    RawPair p;
    p.listener = listen_any();
    if (!p.listener) return p;
    p.raw = raw_connect(*p.listener);
    p.server = accept_one(*p.listener);
    if (p.server && GetParam() == Protseq::ncacn_http) {
      EXPECT_EQ(p.raw->recv_exact(14), "ncacn_http/1.0");
    }
    return p;
  }

  // A hand-driven client. For ncacn_http the test reads the banner itself after accept().
  std::unique_ptr<RawSocket> raw_connect(const StreamListener& listener) {
    std::unique_ptr<RawSocket> s;
    if (is_unix(GetParam())) {
      s = std::make_unique<RawSocket>(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      std::string name = listener.endpoint();
      if (GetParam() == Protseq::ncacn_np) name = name.substr(std::strlen("\\pipe\\"));
      const std::string path =
          (dir_.path() / ((GetParam() == Protseq::ncacn_np ? "np-" : "lrpc-") + name)).string();
      sockaddr_un un{};
      un.sun_family = AF_UNIX;
      std::strncpy(un.sun_path, path.c_str(), sizeof un.sun_path - 1);
      EXPECT_EQ(::connect(s->fd(), reinterpret_cast<sockaddr*>(&un), sizeof un), 0)
          << std::strerror(errno);
    } else {
      s = std::make_unique<RawSocket>(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_in in{};
      in.sin_family = AF_INET;
      in.sin_port = htons(static_cast<std::uint16_t>(std::stoi(listener.endpoint())));
      in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      EXPECT_EQ(::connect(s->fd(), reinterpret_cast<sockaddr*>(&in), sizeof in), 0)
          << std::strerror(errno);
    }
    return s;
  }

  std::unique_ptr<StreamConnection> accept_one(StreamListener& listener) {
    IoResult r;
    auto conn = listener.accept(soon(), nullptr, r);
    EXPECT_TRUE(r.ok()) << r.detail;
    return conn;
  }

  void send(StreamConnection& c, Bytes pdu) {
    c.queue(std::move(pdu));
    const IoResult r = c.flush(soon(), nullptr);
    ASSERT_TRUE(r.ok()) << r.detail;
  }

  Bytes receive(StreamConnection& c) {
    Bytes pdu;
    const IoResult r = c.receive(pdu, soon(), nullptr);
    EXPECT_TRUE(r.ok()) << r.detail;
    return pdu;
  }

  TempDir dir_;
  RealClock clock_;
  Recorder recorder_;
  TransportContext context_;
  std::unique_ptr<StreamConnection> client_;
  std::unique_ptr<StreamConnection> server_;
};

INSTANTIATE_TEST_SUITE_P(AllProtseqs, TransportTest,
                         ::testing::Values(Protseq::ncacn_ip_tcp, Protseq::ncacn_http,
                                           Protseq::ncacn_np, Protseq::ncalrpc),
                         [](const auto& param_info) {
                           return std::string(protseq_name(param_info.param));
                         });

TEST_P(TransportTest, RoundTripsPdusBothWaysAndTeesThem) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  const Bytes to_server = cancel_pdu(1);
  const Bytes to_client = request_pdu(2, 100);
  send(*client_, to_server);
  EXPECT_EQ(receive(*server_), to_server);
  send(*server_, to_client);
  EXPECT_EQ(receive(*client_), to_client);

  const Endpoint c_local = client_->local_endpoint();
  const Endpoint c_peer = client_->peer_endpoint();
  const Endpoint s_local = server_->local_endpoint();
  const Endpoint s_peer = server_->peer_endpoint();
  EXPECT_EQ(s_local, c_peer);
  if (is_unix(GetParam())) {
    const std::uint8_t net = GetParam() == Protseq::ncacn_np ? 2 : 3;
    EXPECT_EQ(c_local.address, IpAddress::v4(127, 0, net, 1));
    EXPECT_EQ(s_peer.address, IpAddress::v4(127, 0, net, 1));
    EXPECT_EQ(c_peer.address, IpAddress::v4(127, 0, net, 2));
    EXPECT_GE(c_local.port, 50000);
    EXPECT_GE(s_peer.port, 50000);
    EXPECT_GE(c_peer.port, 49152);
  } else {
    EXPECT_EQ(c_local, s_peer);
    EXPECT_EQ(c_peer.address, IpAddress::loopback_v4());
    EXPECT_EQ(std::to_string(s_local.port), listener->endpoint());
  }

  // Each side tees its opening (in either order: the two sides run in different threads).
  const auto opened = recorder_.of(Recorder::Kind::opened);
  ASSERT_EQ(opened.size(), 2u);
  const bool client_first = opened[0].a == c_local;
  const auto& from_client = opened[client_first ? 0 : 1];
  const auto& from_server = opened[client_first ? 1 : 0];
  EXPECT_EQ(from_client.a, c_local);
  EXPECT_EQ(from_client.b, c_peer);
  EXPECT_EQ(from_server.a, s_peer);
  EXPECT_EQ(from_server.b, s_local);

  // The banner is not a PDU: only the two PDUs appear, once from each side.
  const auto pdus = recorder_.of(Recorder::Kind::pdu);
  ASSERT_EQ(pdus.size(), 4u);
  EXPECT_EQ(pdus[0].a, c_local);
  EXPECT_EQ(pdus[0].b, c_peer);
  EXPECT_EQ(pdus[0].bytes, to_server);
  EXPECT_EQ(pdus[1].a, s_peer);
  EXPECT_EQ(pdus[1].b, s_local);
  EXPECT_EQ(pdus[1].bytes, to_server);
  EXPECT_EQ(pdus[2].a, s_local);
  EXPECT_EQ(pdus[2].b, s_peer);
  EXPECT_EQ(pdus[2].bytes, to_client);
  EXPECT_EQ(pdus[3].a, c_peer);
  EXPECT_EQ(pdus[3].b, c_local);
  EXPECT_EQ(pdus[3].bytes, to_client);
  EXPECT_EQ(client_->bytes_written(), to_server.size());
}

TEST_P(TransportTest, ClientsCloseIsTeedOnceBySideAndPeerSeesClosed) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  const Endpoint c_local = client_->local_endpoint();
  const Endpoint c_peer = client_->peer_endpoint();
  const Endpoint s_local = server_->local_endpoint();
  const Endpoint s_peer = server_->peer_endpoint();
  client_->close();
  client_->close();
  Bytes pdu;
  EXPECT_EQ(server_->receive(pdu, soon(), nullptr).status, IoStatus::closed);
  EXPECT_EQ(server_->receive(pdu, soon(), nullptr).status, IoStatus::closed);
  server_->close();
  server_.reset();
  client_.reset();
  // The client tees its own close; the server tees the end of stream it read, naming the client
  // as the closer; neither close() afterwards adds a record.
  const auto closed = recorder_.of(Recorder::Kind::closed);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].a, c_local);
  EXPECT_EQ(closed[0].b, c_peer);
  EXPECT_EQ(closed[1].a, s_peer);
  EXPECT_EQ(closed[1].b, s_local);
}

TEST_P(TransportTest, LargePduArrivingInPiecesIsOneFrame) {
  auto [listener, raw, server] = raw_pair();
  ASSERT_NE(server, nullptr);
  const Bytes big = request_pdu(7, 60000);
  const Bytes first(big.begin(), big.begin() + 30000);
  const Bytes second(big.begin() + 30000, big.end());
  raw->send_all(first);
  Bytes pdu;
  EXPECT_EQ(server->receive(pdu, in(milliseconds(50)), nullptr).status, IoStatus::timed_out);
  EXPECT_EQ(server->try_receive(pdu).status, IoStatus::timed_out);
  raw->send_all(second);
  EXPECT_EQ(receive(*server), big);

  // And through the transport on both ends.
  auto [client, accepted] = connect_pair(*listener);
  ASSERT_NE(client, nullptr);
  ASSERT_NE(accepted, nullptr);
  send(*client, big);
  EXPECT_EQ(receive(*accepted), big);
}

TEST_P(TransportTest, TwoPdusInOneWriteAreTwoFrames) {
  auto [listener, raw, server] = raw_pair();
  ASSERT_NE(server, nullptr);
  const Bytes a = cancel_pdu(3);
  const Bytes b = request_pdu(4, 64);
  raw->send_all(concat(a, b));
  EXPECT_EQ(receive(*server), a);
  Bytes pdu;
  ASSERT_TRUE(server->try_receive(pdu).ok());
  EXPECT_EQ(pdu, b);
  EXPECT_EQ(server->try_receive(pdu).status, IoStatus::timed_out);
}

TEST_P(TransportTest, ReceiveTimesOutAtTheDeadline) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  Bytes pdu;
  EXPECT_EQ(client_->receive(pdu, in(milliseconds(30)), nullptr).status, IoStatus::timed_out);
  EXPECT_EQ(server_->receive(pdu, in(milliseconds(0)), nullptr).status, IoStatus::timed_out);
  // Nothing is lost by a timeout.
  send(*client_, cancel_pdu(9));
  EXPECT_EQ(receive(*server_), cancel_pdu(9));
}

TEST_P(TransportTest, WakerMakesReceiveAndAcceptReturnWoken) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  Waker waker;
  waker.wake();
  Bytes pdu;
  EXPECT_EQ(server_->receive(pdu, soon(), &waker).status, IoStatus::woken);
  IoResult r;
  EXPECT_EQ(listener->accept(soon(), &waker, r), nullptr);
  EXPECT_EQ(r.status, IoStatus::woken);
  EXPECT_TRUE(waker.consume());

  // From another thread, while the receiver waits (or before it starts: wakes are sticky).
  IoResult woken;
  std::thread receiver([&] {
    Bytes p;
    woken = server_->receive(p, soon(), &waker);
  });
  waker.wake();
  receiver.join();
  EXPECT_EQ(woken.status, IoStatus::woken);
  EXPECT_TRUE(waker.consume());
  EXPECT_FALSE(waker.consume());
}

// What a receive blocked on the client's connection in another thread returns once `cut` ran.
IoResult receive_across(StreamConnection& connection, const Deadline& deadline,
                        const std::function<void()>& cut) {
  IoResult got;
  std::thread receiver([&] {
    Bytes p;
    got = connection.receive(p, deadline, nullptr);
  });
  cut();
  receiver.join();
  return got;
}

TEST_P(TransportTest, InterruptUnblocksAReceiveInAnotherThread) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  const IoResult got = receive_across(*client_, soon(), [&] { client_->interrupt(); });
  EXPECT_EQ(got.status, IoStatus::failed);
  EXPECT_EQ(got.detail, "connection interrupted");
  // The server sees the client end the stream.
  Bytes pdu;
  EXPECT_EQ(server_->receive(pdu, soon(), nullptr).status, IoStatus::closed);
  client_->close();
  const auto closed = recorder_.of(Recorder::Kind::closed);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[1].a, client_->local_endpoint());
}

TEST_P(TransportTest, AbortResetsATcpPeerAndEndsAUnixSocketOne) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  EXPECT_EQ(receive_across(*client_, soon(), [&] { client_->abort(); }).status, IoStatus::failed);
  client_->close();
  Bytes pdu;
  const auto seen = server_->receive(pdu, soon(), nullptr);
  const bool tcp = GetParam() == Protseq::ncacn_ip_tcp || GetParam() == Protseq::ncacn_http;
  EXPECT_EQ(seen.status, tcp ? IoStatus::failed : IoStatus::closed) << seen.detail;
}

TEST_P(TransportTest, GarbageFromThePeerFailsTheConnection) {
  auto [listener, raw, server] = raw_pair();
  ASSERT_NE(server, nullptr);
  const std::string junk = "GET / HTTP/1.1\r\n";
  raw->send_all(Bytes(junk.begin(), junk.end()));
  Bytes pdu;
  const IoResult r = server->receive(pdu, soon(), nullptr);
  EXPECT_EQ(r.status, IoStatus::malformed);
  EXPECT_NE(r.detail.find("bad_version"), std::string::npos) << r.detail;
  EXPECT_EQ(server->try_receive(pdu).status, IoStatus::malformed);
  // The bytes were on the wire, so the capture has them, once.
  const auto pdus = recorder_.of(Recorder::Kind::pdu);
  ASSERT_EQ(pdus.size(), 1u);
  EXPECT_EQ(pdus[0].bytes, Bytes(junk.begin(), junk.end()));
  EXPECT_EQ(pdus[0].b, server->local_endpoint());
}

TEST_P(TransportTest, APduThePeerClosedInsideIsCapturedBeforeTheClose) {
  auto [listener, raw, server] = raw_pair();
  ASSERT_NE(server, nullptr);
  const Bytes whole = request_pdu(3, 40);
  const Bytes cut(whole.begin(), whole.begin() + 10);
  raw->send_all(whole);
  raw->send_all(cut);
  ::shutdown(raw->fd(), SHUT_WR);
  EXPECT_EQ(receive(*server), whole);
  Bytes pdu;
  const IoResult r = server->receive(pdu, soon(), nullptr);
  EXPECT_EQ(r.status, IoStatus::failed);
  EXPECT_EQ(r.detail, "connection closed inside a PDU (10 bytes of it received)");
  EXPECT_EQ(server->try_receive(pdu).status, IoStatus::failed);
  const auto pdus = recorder_.of(Recorder::Kind::pdu);
  ASSERT_EQ(pdus.size(), 2u);
  EXPECT_EQ(pdus[0].bytes, whole);
  EXPECT_EQ(pdus[1].bytes, cut);
  EXPECT_EQ(recorder_.of(Recorder::Kind::closed).size(), 1u);
}

TEST_P(TransportTest, FlushTimesOutOrWakesWhenThePeerDoesNotReadAndResumesLater) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  constexpr int kCount = 300;  // 18 MB: more than the socket buffers hold
  for (int i = 0; i < kCount; ++i)
    client_->queue(request_pdu(static_cast<std::uint32_t>(i), 60000));
  EXPECT_EQ(client_->flush(in(milliseconds(50)), nullptr).status, IoStatus::timed_out);
  const std::size_t written = client_->bytes_written();
  EXPECT_GT(written, 0u);
  EXPECT_LT(written, std::size_t{kCount} * 60000);
  Waker waker;
  waker.wake();
  EXPECT_EQ(client_->flush(soon(), &waker).status, IoStatus::woken);

  // Sender and receiver in different threads, on the same stream.
  int received = 0;
  IoResult last;
  std::thread receiver([&] {
    for (; received < kCount; ++received) {
      Bytes p;
      last = server_->receive(p, soon(), nullptr);
      if (!last.ok() || p != request_pdu(static_cast<std::uint32_t>(received), 60000)) return;
    }
  });
  const IoResult flushed = client_->flush(soon(), nullptr);
  receiver.join();
  EXPECT_TRUE(flushed.ok()) << flushed.detail;
  EXPECT_TRUE(last.ok()) << last.detail;
  EXPECT_EQ(received, kCount);
  EXPECT_EQ(client_->bytes_written(), std::size_t{kCount} * 60000);
}

TEST_P(TransportTest, FlushToAClosedPeerFails) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  ASSERT_NO_FATAL_FAILURE(open(*listener));
  server_->close();
  Bytes pdu;
  EXPECT_EQ(client_->receive(pdu, soon(), nullptr).status, IoStatus::closed);
  IoResult r;
  // The first write may still be accepted by the kernel; the reset shows on a later one.
  for (int i = 0; i < 100 && r.ok(); ++i) {
    client_->queue(request_pdu(1, 60000));
    r = client_->flush(soon(), nullptr);
  }
  EXPECT_EQ(r.status, IoStatus::failed);
  EXPECT_EQ(r.detail, "connection reset");
}

TEST_P(TransportTest, ConnectingWhereNothingListensFails) {
  std::string endpoint = "nobody-here";
  if (!is_unix(GetParam())) {
    auto l = listen(GetParam(), "", "", context_);
    ASSERT_TRUE(l.ok());
    endpoint = (*l)->endpoint();
    (*l)->close();
  }
  auto c = connect(GetParam(), "", endpoint, context_, soon());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().status, IoStatus::failed);
  EXPECT_FALSE(c.error().detail.empty());
}

TEST_P(TransportTest, ListenerEndpointIsThePortOrAGeneratedName) {
  auto listener = listen_any();
  ASSERT_NE(listener, nullptr);
  const std::string ep = listener->endpoint();
  switch (GetParam()) {
    case Protseq::ncacn_ip_tcp:
    case Protseq::ncacn_http:
      EXPECT_GT(std::stoi(ep), 0);
      EXPECT_EQ(ep.find_first_not_of("0123456789"), std::string::npos);
      break;
    case Protseq::ncacn_np:
      EXPECT_EQ(ep.rfind("\\pipe\\rpcfit-", 0), 0u) << ep;
      break;
    case Protseq::ncalrpc:
      EXPECT_EQ(ep.rfind("rpcfit-", 0), 0u) << ep;
      break;
    case Protseq::ncadg_ip_udp:
    case Protseq::ncadg_mq:
      ADD_FAILURE() << "not a stream protocol sequence";
      break;
  }
  auto other = listen(GetParam(), "", "0", context_);
  ASSERT_TRUE(other.ok()) << other.error();
  EXPECT_NE((*other)->endpoint(), ep);
}

}  // namespace
}  // namespace rpcfit::transport
