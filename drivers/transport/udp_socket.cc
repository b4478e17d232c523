#include "drivers/transport/udp_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "drivers/transport/addressing.h"
#include "drivers/transport/datagram_capture.h"
#include "drivers/transport/fd_util.h"

namespace rpcfit::transport::internal {
namespace {

// The largest UDP payload: 65535 less the IP and UDP headers (IPv6's header is not counted in
// its payload length).
constexpr std::size_t kMaxUdpV4 = 65507;
constexpr std::size_t kMaxUdpV6 = 65527;
// Bursts of small datagrams on loopback overflow the default buffers and are dropped; the kernel
// caps the request at net.core.[rw]mem_max, which is good enough.
constexpr int kSocketBuffer = 1 << 20;

// DatagramPeer::address of a UDP peer: its socket address as raw bytes.
std::string address_bytes(const SocketAddress& address) {
  return std::string(reinterpret_cast<const char*>(&address.storage), address.length);
}

std::optional<SocketAddress> address_from_bytes(const std::string& raw, sa_family_t family) {
  SocketAddress out;
  if (raw.size() < sizeof(sa_family_t) || raw.size() > sizeof out.storage) return std::nullopt;
  std::memcpy(&out.storage, raw.data(), raw.size());
  out.length = static_cast<socklen_t>(raw.size());
  if (out.storage.ss_family != family) return std::nullopt;
  return out;
}

// Threading: as DatagramSocket. Sends share only the descriptor and the tee.
class UdpSocket final : public DatagramSocket {
 public:
  // `server`: the peer a client socket is connected to; nullopt for a server socket.
  UdpSocket(Fd fd, const Clock& clock, CaptureSink* capture, std::optional<DatagramPeer> server)
      : fd_(std::move(fd)),
        family_(socket_family(fd_.get())),
        clock_(clock),
        server_(std::move(server)),
        tee_(clock, capture, socket_local_endpoint(fd_.get())),
        buffer_(family_ == AF_INET6 ? kMaxUdpV6 : kMaxUdpV4) {}

  ~UdpSocket() override { close(); }

  IoResult send_to(ByteView datagram, const DatagramPeer& to) override {
    if (!fd_.valid()) return {IoStatus::failed, "socket is closed"};
    if (server_) {
      // Connected: the kernel knows the destination, and `to` can only be the server.
      return tee_.send(datagram, server_->endpoint,
                       [&] { return send_once(datagram, nullptr, 0); });
    }
    const std::optional<SocketAddress> address = address_from_bytes(to.address, family_);
    if (!address) {
      return {IoStatus::failed, "send to " + to.endpoint.to_string() + ": not a UDP peer address"};
    }
    return tee_.send(datagram, to.endpoint,
                     [&] { return send_once(datagram, address->get(), address->length); });
  }

  IoResult receive_from(Bytes& datagram, DatagramPeer& from, const Deadline& deadline,
                        const Waker* waker) override {
    if (!fd_.valid()) return {IoStatus::failed, "socket is closed"};
    auto attempt = [&]() -> std::optional<IoResult> {
      SocketAddress peer;
      peer.length = sizeof peer.storage;
      const ssize_t n = recv_datagram(fd_.get(), buffer_, &peer.storage, &peer.length);
      if (n < 0) {
        if (errno == EAGAIN) return std::nullopt;
        // An ICMP port unreachable for an earlier datagram. On a server socket it concerns one
        // client among many (and Linux reports none unless connected); the wait goes on.
        if (errno == ECONNREFUSED) {
          if (server_) return IoResult{IoStatus::closed, "port unreachable"};
          return std::nullopt;
        }
        return IoResult{IoStatus::failed, errno_text("recvfrom", errno)};
      }
      if (static_cast<std::size_t>(n) > buffer_.size()) return std::nullopt;  // dropped
      datagram.assign(buffer_.begin(), buffer_.begin() + n);
      from.endpoint = to_endpoint(peer);
      from.address = address_bytes(peer);
      tee_.received(datagram, from.endpoint);
      return IoResult{};
    };
    return receive_until(fd_.get(), attempt, waker, clock_, deadline);
  }

  void detach_capture() override { tee_.detach(); }
  void close() override { fd_.reset(); }
  Endpoint local_endpoint() const override { return tee_.local(); }
  std::string endpoint() const override { return std::to_string(tee_.local().port); }
  std::size_t max_datagram() const override { return buffer_.size(); }

 private:
  static sa_family_t socket_family(int fd) {
    SocketAddress address;
    address.length = sizeof address.storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address.storage), &address.length) != 0) {
      return AF_INET;
    }
    return address.storage.ss_family;
  }

  IoResult send_once(ByteView datagram, const sockaddr* to, socklen_t to_length) const {
    for (;;) {
      const ssize_t n = ::sendto(fd_.get(), datagram.data(), datagram.size(),
                                 MSG_DONTWAIT | MSG_NOSIGNAL, to, to_length);
      if (n >= 0) return {};
      switch (errno) {
        case EINTR:
          continue;
        case EAGAIN:
        case ENOBUFS:
          return {IoStatus::timed_out, {}};
        case ECONNREFUSED:
          if (server_) return {IoStatus::closed, "port unreachable"};
          // A pending error left by an earlier datagram to another client; this one was not sent.
          continue;
        case EMSGSIZE:
          return {IoStatus::failed,
                  "datagram of " + std::to_string(datagram.size()) + " bytes is too long for UDP"};
        default:
          return {IoStatus::failed, errno_text("sendto", errno)};
      }
    }
  }

  Fd fd_;
  sa_family_t family_;
  const Clock& clock_;
  const std::optional<DatagramPeer> server_;
  DatagramTee tee_;
  Bytes buffer_;  // receive path only; its size is max_datagram()
};

// A socket for host:port, and the address it resolved to.
Result<std::pair<Fd, SocketAddress>, std::string> udp_socket(const std::string& host,
                                                             const std::string& port,
                                                             bool allow_any_port) {
  auto address = resolve_first(host, port, allow_any_port);
  if (!address) return unexpected(address.error());
  Fd fd(::socket(address->storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return unexpected(errno_text("socket", errno));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &kSocketBuffer, sizeof kSocketBuffer);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &kSocketBuffer, sizeof kSocketBuffer);
  return std::pair{std::move(fd), *address};
}

}  // namespace

Result<DatagramClient, std::string> open_udp(const std::string& host, const std::string& port,
                                             const DatagramContext& context) {
  auto made = udp_socket(host, port, false);
  if (!made) return unexpected(made.error());
  auto& [fd, address] = *made;
  if (::connect(fd.get(), address.get(), address.length) != 0) {
    return unexpected(errno_text("connect " + to_endpoint(address).to_string(), errno));
  }
  DatagramPeer server{to_endpoint(address), address_bytes(address)};
  auto socket =
      std::make_unique<UdpSocket>(std::move(fd), *context.base.clock, context.base.capture, server);
  return DatagramClient{std::move(socket), std::move(server)};
}

Result<std::unique_ptr<DatagramSocket>, std::string> bind_udp(const std::string& host,
                                                              const std::string& port,
                                                              const DatagramContext& context) {
  auto made = udp_socket(host, port, true);
  if (!made) return unexpected(made.error());
  auto& [fd, address] = *made;
  if (auto bound = bind_address(fd.get(), address); !bound) return unexpected(bound.error());
  return std::unique_ptr<DatagramSocket>(std::make_unique<UdpSocket>(
      std::move(fd), *context.base.clock, context.base.capture, std::nullopt));
}

}  // namespace rpcfit::transport::internal
