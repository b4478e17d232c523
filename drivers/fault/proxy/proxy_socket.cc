#include "drivers/fault/proxy/proxy_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace rpcfit::fault::proxy_internal {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset(other.fd_);
    other.fd_ = -1;
  }
  return *this;
}

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Latch::Latch() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

void Latch::set() {
  const std::uint64_t one = 1;
  // A full counter (never, at one add per set) would leave it readable anyway.
  [[maybe_unused]] const ssize_t n = ::write(fd_.get(), &one, sizeof one);
}

bool Latch::is_set() const {
  pollfd p{fd_.get(), POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

SockAddr to_sockaddr(const Endpoint& endpoint) {
  SockAddr out;
  if (endpoint.address.v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(endpoint.port);
    std::memcpy(&a.sin6_addr, endpoint.address.bytes.data(), 16);
    std::memcpy(&out.storage, &a, sizeof a);
    out.length = sizeof a;
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(endpoint.port);
    std::memcpy(&a.sin_addr, endpoint.address.bytes.data(), 4);
    std::memcpy(&out.storage, &a, sizeof a);
    out.length = sizeof a;
  }
  return out;
}

Endpoint from_sockaddr(const sockaddr_storage& address) {
  Endpoint e;
  if (address.ss_family == AF_INET6) {
    sockaddr_in6 a{};
    std::memcpy(&a, &address, sizeof a);
    e.address.v6 = true;
    std::memcpy(e.address.bytes.data(), &a.sin6_addr, 16);
    e.port = ntohs(a.sin6_port);
  } else {
    sockaddr_in a{};
    std::memcpy(&a, &address, sizeof a);
    std::memcpy(e.address.bytes.data(), &a.sin_addr, 4);
    e.port = ntohs(a.sin_port);
  }
  return e;
}

Endpoint local_endpoint(int fd) {
  sockaddr_storage a{};
  socklen_t n = sizeof a;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0) return {};
  return from_sockaddr(a);
}

Endpoint peer_endpoint(int fd) {
  sockaddr_storage a{};
  socklen_t n = sizeof a;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0) return {};
  return from_sockaddr(a);
}

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

Result<Fd, std::string> bound_socket(const Endpoint& endpoint, bool udp) {
  const int family = endpoint.address.v6 ? AF_INET6 : AF_INET;
  const int type = (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  Fd fd(::socket(family, type, 0));
  if (!fd.valid()) return unexpected(errno_text("socket", errno));
  const int on = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const SockAddr a = to_sockaddr(endpoint);
  if (::bind(fd.get(), a.get(), a.length) != 0) {
    return unexpected(errno_text("bind " + endpoint.to_string(), errno));
  }
  if (!udp && ::listen(fd.get(), SOMAXCONN) != 0) {
    return unexpected(errno_text("listen " + endpoint.to_string(), errno));
  }
  return fd;
}

Result<Fd, std::string> connect_tcp(const Endpoint& endpoint, const Latch& latch,
                                    const Clock& clock, Duration until) {
  const int family = endpoint.address.v6 ? AF_INET6 : AF_INET;
  Fd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return unexpected(errno_text("socket", errno));
  const SockAddr a = to_sockaddr(endpoint);
  int rc = ::connect(fd.get(), a.get(), a.length);
  while (rc != 0 && errno == EINTR)
    rc = ::connect(fd.get(), a.get(), a.length);
  if (rc == 0) return fd;
  if (errno != EINPROGRESS) return unexpected(errno_text("connect", errno));
  switch (wait_fd(fd.get(), POLLOUT, latch, clock, until)) {
    case WaitOutcome::ready:
      break;
    case WaitOutcome::woken:
      return unexpected(std::string("connect: the proxy is stopping"));
    case WaitOutcome::timed_out:
      return unexpected(std::string("connect: timed out"));
  }
  int err = 0;
  socklen_t n = sizeof err;
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &n);
  if (err != 0) return unexpected(errno_text("connect", err));
  return fd;
}

WaitOutcome wait_fd(int fd, short events, const Latch& latch, const Clock& clock,
                    std::optional<Duration> until) {
  for (;;) {
    pollfd p[2] = {{latch.fd(), POLLIN, 0}, {fd, events, 0}};
    const nfds_t count = fd >= 0 ? 2 : 1;
    timespec ts{};
    timespec* timeout = nullptr;
    if (until) {
      const auto left =
          clock.real_remaining(Deadline(*until)).value_or(std::chrono::nanoseconds{0});
      ts.tv_sec = static_cast<time_t>(left.count() / 1'000'000'000);
      ts.tv_nsec = static_cast<long>(left.count() % 1'000'000'000);
      timeout = &ts;
    }
    const int ready = ::ppoll(p, count, timeout, nullptr);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return WaitOutcome::woken;  // poll itself failed: give up like a stop
    if (p[0].revents != 0) return WaitOutcome::woken;
    if (count == 2 && p[1].revents != 0) return WaitOutcome::ready;
    if (ready == 0) return WaitOutcome::timed_out;
  }
}

void set_nodelay(int fd) {
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

void close_with_reset(Fd& fd) {
  if (!fd.valid()) return;
  const linger l{1, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  fd.reset();
}

void close_orderly(Fd& fd) {
  if (!fd.valid()) return;
  ::shutdown(fd.get(), SHUT_RDWR);
  fd.reset();
}

}  // namespace rpcfit::fault::proxy_internal
