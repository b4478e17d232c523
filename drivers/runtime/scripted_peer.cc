#include "drivers/runtime/scripted_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>

#include <gtest/gtest.h>

#include "drivers/runtime/test_interface.h"
#include "harness/wire/codec.h"

namespace rpcfit::rpc::testing {
namespace {

bool read_exact(int fd, std::uint8_t* out, std::size_t n) {
  while (n > 0) {
    auto got = ::recv(fd, out, n, 0);
    if (got <= 0) return false;
    out += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

void set_receive_timeout(int fd) {
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

RawSocket::RawSocket(int fd) : fd_(fd) {
  set_receive_timeout(fd_);
}

RawSocket::~RawSocket() {
  close();
}

RawSocket::RawSocket(RawSocket&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

RawSocket RawSocket::connect_tcp(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto addr = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  return RawSocket(fd);
}

std::optional<wire::CoPdu> RawSocket::read_pdu() {
  Bytes bytes(16);
  if (!read_exact(fd_, bytes.data(), 16)) return std::nullopt;
  auto length = wire::check_co_header(bytes);
  if (!length) return std::nullopt;
  bytes.resize(*length);
  if (!read_exact(fd_, bytes.data() + 16, *length - 16)) return std::nullopt;
  auto pdu = wire::decode_co(bytes);
  if (!pdu) return std::nullopt;
  return std::move(*pdu);
}

bool RawSocket::write(ByteView bytes) {
  return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(bytes.size());
}

bool RawSocket::write(const wire::CoPdu& pdu) {
  return write(wire::encode(pdu));
}

void RawSocket::reset() {
  linger hard{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  close();
}

void RawSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ScriptedServer::ScriptedServer(Script script) : script_(std::move(script)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("scripted server: cannot listen");
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] {
    for (int index = 0;; ++index) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;  // shut down
      connections_.emplace_back([this, fd, index] {
        RawSocket socket(fd);
        script_(socket, index);
      });
    }
  });
}

ScriptedServer::~ScriptedServer() {
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  for (auto& t : connections_)
    t.join();
}

std::string ScriptedServer::binding() const {
  return "ncacn_ip_tcp:127.0.0.1[" + std::to_string(port_) + "]";
}

wire::CoPdu bind_ack_for(const wire::CoPdu& bind) {
  wire::CoPdu ack;
  ack.type = wire::PType::bind_ack;
  ack.flags = wire::pfc::kFirstFrag | wire::pfc::kLastFrag;
  ack.call_id = bind.call_id;
  wire::CoBindAck body;
  body.max_xmit_frag = 5840;
  body.max_recv_frag = 5840;
  body.assoc_group_id = 0x5151;
  body.secondary_address = "135";
  body.secondary_address_nul = true;
  body.results.push_back({0, 0, wire::ndr_syntax()});
  ack.body = body;
  return ack;
}

wire::CoPdu response_for(const wire::CoPdu& request, Bytes stub) {
  wire::CoPdu reply;
  reply.type = wire::PType::response;
  reply.flags = wire::pfc::kFirstFrag | wire::pfc::kLastFrag;
  reply.call_id = request.call_id;
  wire::CoResponse body;
  body.stub = std::move(stub);
  reply.body = std::move(body);
  return reply;
}

std::size_t thread_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task")) {
    ++n;
  }
  return n;
}

std::size_t fd_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

RawUdp::RawUdp() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)), peer_address_(htonl(INADDR_LOOPBACK)) {
  if (fd_ < 0) throw std::runtime_error("socket: udp");
  sockaddr_in me{};
  me.sin_family = AF_INET;
  me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&me), sizeof me) != 0) {
    ::close(fd_);
    throw std::runtime_error("bind: udp");
  }
  int big = 4 << 20;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
}

RawUdp::~RawUdp() {
  ::close(fd_);
}

std::uint16_t RawUdp::port() const {
  sockaddr_in me{};
  socklen_t len = sizeof me;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&me), &len);
  return ntohs(me.sin_port);
}

void RawUdp::send_to_port(std::uint16_t port) {
  peer_address_ = htonl(INADDR_LOOPBACK);
  peer_port_ = htons(port);
}

std::size_t RawUdp::send(ByteView bytes) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = peer_address_;
  to.sin_port = peer_port_;
  auto n = ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                    sizeof to);
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::size_t RawUdp::send(const wire::ClPdu& pdu) {
  return send(wire::encode(pdu));
}

std::optional<Bytes> RawUdp::receive(int ms) {
  pollfd ready{fd_, POLLIN, 0};
  if (::poll(&ready, 1, ms) <= 0) return std::nullopt;
  Bytes datagram(65536);
  sockaddr_in from{};
  socklen_t len = sizeof from;
  auto n = ::recvfrom(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&from),
                      &len);
  if (n < 0) return std::nullopt;
  datagram.resize(static_cast<std::size_t>(n));
  peer_address_ = from.sin_addr.s_addr;
  peer_port_ = from.sin_port;
  return datagram;
}

std::optional<wire::ClPdu> RawUdp::receive_pdu(int ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    auto datagram = receive(static_cast<int>(std::max<std::int64_t>(left.count(), 0)));
    if (!datagram) return std::nullopt;
    if (auto pdu = wire::decode_cl(*datagram)) return *pdu;
  }
}

RawSocket bound_socket(std::uint16_t port) {
  auto s = RawSocket::connect_tcp(port);
  wire::CoPdu bind;
  bind.type = wire::PType::bind;
  bind.flags = wire::pfc::kFirstFrag | wire::pfc::kLastFrag;
  bind.call_id = 1;
  bind.body = wire::CoBind{5840, 5840, 0, {{0, test_interface_id(), {wire::ndr_syntax()}}}, {}};
  EXPECT_TRUE(s.write(bind));
  auto ack = s.read_pdu();
  EXPECT_TRUE(ack && ack->type == wire::PType::bind_ack);
  return s;
}

}  // namespace rpcfit::rpc::testing
