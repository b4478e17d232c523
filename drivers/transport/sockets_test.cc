// The helpers for bare sockets (sockets.h) and what they stand on: Endpoint <-> sockaddr
// (addressing.h) and wait_wake (fd_util.h). Real loopback sockets, a real clock.
#include "drivers/transport/sockets.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

namespace rpcfit::transport::internal {
namespace {

using namespace std::chrono_literals;

// Bounds waits that end at once unless the code under test is broken.
constexpr Duration kPatience = 20s;

Endpoint any_loopback_port() {
  return Endpoint{IpAddress::loopback_v4(), 0};
}

Fd tcp_socket() {
  return Fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

int int_option(int fd, int level, int name) {
  int value = 0;
  socklen_t length = sizeof value;
  EXPECT_EQ(::getsockopt(fd, level, name, &value, &length), 0) << std::strerror(errno);
  return value;
}

TEST(SocketAddressTest, EndpointsBecomeSockaddrsAndBack) {
  const Endpoint v4{IpAddress::v4(10, 1, 2, 3), 135};
  const SocketAddress a = to_socket_address(v4);
  ASSERT_EQ(a.storage.ss_family, AF_INET);
  EXPECT_EQ(a.length, sizeof(sockaddr_in));
  sockaddr_in in{};
  std::memcpy(&in, &a.storage, sizeof in);
  EXPECT_EQ(ntohs(in.sin_port), 135);
  EXPECT_EQ(ntohl(in.sin_addr.s_addr), 0x0a010203u);
  EXPECT_EQ(to_endpoint(a), v4);

  const auto v6 = Endpoint::parse("[::1]:49731");
  ASSERT_TRUE(v6);
  const SocketAddress b = to_socket_address(*v6);
  ASSERT_EQ(b.storage.ss_family, AF_INET6);
  EXPECT_EQ(b.length, sizeof(sockaddr_in6));
  EXPECT_EQ(to_endpoint(b), *v6);
}

TEST(WaitWakeTest, APendingWakeEndsTheWaitAtOnceAndStaysPending) {
  RealClock clock;
  Waker waker;
  waker.wake();
  EXPECT_EQ(wait_wake(waker, clock, clock.now() + kPatience).outcome, WaitOutcome::woken);
  EXPECT_TRUE(waker.pending());
}

TEST(WaitWakeTest, WithoutAWakeTheWaitEndsAtTheDeadline) {
  RealClock clock;
  Waker waker;
  const Duration start = clock.now();
  EXPECT_EQ(wait_wake(waker, clock, start + 50ms).outcome, WaitOutcome::timed_out);
  EXPECT_GE(clock.now() - start, 50ms);
}

TEST(WaitWakeTest, AWakeFromAnotherThreadEndsTheWait) {
  RealClock clock;
  Waker waker;
  std::thread other([&] { waker.wake(); });
  EXPECT_EQ(wait_wake(waker, clock, clock.now() + kPatience).outcome, WaitOutcome::woken);
  other.join();
}

TEST(BoundSocketTest, AStreamSocketListensOnTheEndpoint) {
  auto listener = bound_socket(any_loopback_port(), SOCK_STREAM);
  ASSERT_TRUE(listener.ok()) << listener.error();
  const int fd = listener->get();
  const Endpoint at = socket_local_endpoint(fd);
  EXPECT_EQ(at.address, IpAddress::loopback_v4());
  EXPECT_NE(at.port, 0);
  EXPECT_EQ(int_option(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
  EXPECT_NE(int_option(fd, SOL_SOCKET, SO_REUSEADDR), 0);
  EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
}

TEST(BoundSocketTest, ADatagramSocketIsBoundAndReceives) {
  auto bound = bound_socket(any_loopback_port(), SOCK_DGRAM);
  ASSERT_TRUE(bound.ok()) << bound.error();
  const int fd = bound->get();
  EXPECT_EQ(int_option(fd, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
  EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  const Endpoint at = socket_local_endpoint(fd);
  ASSERT_NE(at.port, 0);
  Fd sender(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const SocketAddress to = to_socket_address(at);
  const std::uint8_t byte = 42;
  ASSERT_EQ(::sendto(sender.get(), &byte, 1, 0, to.get(), to.length), 1) << std::strerror(errno);
  RealClock clock;
  ASSERT_EQ(wait_fd(fd, POLLIN, nullptr, clock, clock.now() + kPatience).outcome,
            WaitOutcome::ready);
  Bytes buffer(16);
  EXPECT_EQ(recv_datagram(fd, buffer, nullptr, nullptr), 1);
  EXPECT_EQ(buffer[0], byte);
}

TEST(BoundSocketTest, AnAddressInUseNamesTheBindAndTheEndpoint) {
  auto first = bound_socket(any_loopback_port(), SOCK_STREAM);
  ASSERT_TRUE(first.ok()) << first.error();
  const Endpoint at = socket_local_endpoint(first->get());
  auto second = bound_socket(at, SOCK_STREAM);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error(), "bind " + at.to_string() + ": " + std::strerror(EADDRINUSE));
}

TEST(ConnectSocketTest, ConnectsToAListener) {
  RealClock clock;
  auto listener = bound_socket(any_loopback_port(), SOCK_STREAM);
  ASSERT_TRUE(listener.ok()) << listener.error();
  const Endpoint at = socket_local_endpoint(listener->get());
  Fd fd = tcp_socket();
  const WaitResult w =
      connect_socket(fd.get(), to_socket_address(at), nullptr, clock, clock.now() + kPatience);
  EXPECT_EQ(w.outcome, WaitOutcome::ready) << std::strerror(w.error);
  EXPECT_EQ(socket_peer_endpoint(fd.get()), at);
}

TEST(ConnectSocketTest, ARefusedConnectFailsWithItsErrno) {
  RealClock clock;
  // Bound and kept, never listening: the port is ours, and connects to it are refused.
  Fd taken = tcp_socket();
  const SocketAddress any = to_socket_address(any_loopback_port());
  ASSERT_EQ(::bind(taken.get(), any.get(), any.length), 0) << std::strerror(errno);
  const Endpoint at = socket_local_endpoint(taken.get());
  Fd fd = tcp_socket();
  const WaitResult w =
      connect_socket(fd.get(), to_socket_address(at), nullptr, clock, clock.now() + kPatience);
  EXPECT_EQ(w.outcome, WaitOutcome::failed);
  EXPECT_EQ(w.error, ECONNREFUSED) << std::strerror(w.error);
}

// A listener that no longer answers: Linux drops a SYN while the accept queue is full, so a
// connect to it stays in progress. With a backlog of 1 the queue holds two connections; a few
// more attempts allow for a handshake the listener had not finished when the next one began.
class StalledListener : public ::testing::Test {
 protected:
  static constexpr Duration kAnswer = 500ms;  // a loopback listener with room answers far sooner

  void SetUp() override {
    listener_ = tcp_socket();
    const SocketAddress any = to_socket_address(any_loopback_port());
    ASSERT_EQ(::bind(listener_.get(), any.get(), any.length), 0) << std::strerror(errno);
    ASSERT_EQ(::listen(listener_.get(), 1), 0) << std::strerror(errno);
    address_ = to_socket_address(socket_local_endpoint(listener_.get()));
  }

  // Connects until an attempt gets no answer within kAnswer; that attempt's start and outcome.
  WaitResult fill(Duration& unanswered_from) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      Fd fd = tcp_socket();
      unanswered_from = clock_.now();
      const WaitResult w =
          connect_socket(fd.get(), address_, nullptr, clock_, unanswered_from + kAnswer);
      if (w.outcome != WaitOutcome::ready) return w;
      queued_.push_back(std::move(fd));
    }
    return {WaitOutcome::ready, 0};
  }

  RealClock clock_;
  Fd listener_;
  SocketAddress address_;
  std::vector<Fd> queued_;
};

TEST_F(StalledListener, AConnectWithoutAnAnswerTimesOutAtTheDeadline) {
  Duration start{0};
  const WaitResult w = fill(start);
  EXPECT_EQ(w.outcome, WaitOutcome::timed_out) << std::strerror(w.error);
  EXPECT_GE(clock_.now() - start, kAnswer);
  EXPECT_GE(queued_.size(), 2u);
}

TEST_F(StalledListener, AWakeFromAnotherThreadEndsAConnectInProgress) {
  Duration start{0};
  ASSERT_EQ(fill(start).outcome, WaitOutcome::timed_out);
  Waker waker;
  std::thread other([&] { waker.wake(); });
  Fd fd = tcp_socket();
  const WaitResult w = connect_socket(fd.get(), address_, &waker, clock_, clock_.now() + kPatience);
  other.join();
  EXPECT_EQ(w.outcome, WaitOutcome::woken) << std::strerror(w.error);
}

// A connected TCP pair over loopback.
struct TcpPair {
  Fd listener;
  Fd client;
  Fd server;
};

TcpPair connected_pair(const Clock& clock) {
  TcpPair p;
  auto listener = bound_socket(any_loopback_port(), SOCK_STREAM);
  EXPECT_TRUE(listener.ok()) << listener.error();
  if (!listener) return p;
  p.listener = std::move(*listener);
  p.client = tcp_socket();
  const SocketAddress at = to_socket_address(socket_local_endpoint(p.listener.get()));
  const WaitResult w = connect_socket(p.client.get(), at, nullptr, clock, clock.now() + kPatience);
  EXPECT_EQ(w.outcome, WaitOutcome::ready) << std::strerror(w.error);
  // The client may be connected before the listener has queued its side.
  EXPECT_EQ(wait_fd(p.listener.get(), POLLIN, nullptr, clock, clock.now() + kPatience).outcome,
            WaitOutcome::ready);
  p.server = Fd(::accept4(p.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  EXPECT_TRUE(p.server.valid()) << std::strerror(errno);
  return p;
}

// What the client's next recv() reports once the server's close has reached it: the byte count,
// or -errno.
ssize_t client_reads(const TcpPair& p, const Clock& clock) {
  const WaitResult w = wait_fd(p.client.get(), POLLIN, nullptr, clock, clock.now() + kPatience);
  EXPECT_EQ(w.outcome, WaitOutcome::ready);
  std::uint8_t byte = 0;
  const ssize_t n = ::recv(p.client.get(), &byte, 1, MSG_DONTWAIT);
  return n < 0 ? -errno : n;
}

TEST(CloseTest, CloseWithResetResetsThePeer) {
  RealClock clock;
  TcpPair p = connected_pair(clock);
  ASSERT_TRUE(p.server.valid());
  close_with_reset(p.server);
  EXPECT_FALSE(p.server.valid());
  EXPECT_EQ(client_reads(p, clock), -ECONNRESET);
}

TEST(CloseTest, CloseOrderlyEndsThePeersStream) {
  RealClock clock;
  TcpPair p = connected_pair(clock);
  ASSERT_TRUE(p.server.valid());
  close_orderly(p.server);
  EXPECT_FALSE(p.server.valid());
  EXPECT_EQ(client_reads(p, clock), 0);
}

TEST(NodelayTest, SetNodelayTurnsNagleOff) {
  Fd fd = tcp_socket();
  ASSERT_TRUE(fd.valid());
  EXPECT_EQ(int_option(fd.get(), IPPROTO_TCP, TCP_NODELAY), 0);
  set_nodelay(fd.get());
  EXPECT_NE(int_option(fd.get(), IPPROTO_TCP, TCP_NODELAY), 0);
}

}  // namespace
}  // namespace rpcfit::transport::internal
