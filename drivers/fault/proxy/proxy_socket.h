// Socket plumbing of the fault proxy: owning descriptors, a latch to wake waiting threads, address
// conversion, and a wait on one descriptor bounded by a latch and a scenario-time instant.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "harness/core/clock.h"
#include "harness/core/endpoint.h"
#include "harness/core/result.h"

namespace rpcfit::fault::proxy_internal {

// Owns one file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// An eventfd that, once set, stays readable: waits that include it end at once from then on.
class Latch {
 public:
  Latch();
  void set();
  bool is_set() const;
  int fd() const { return fd_.get(); }

 private:
  Fd fd_;
};

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

SockAddr to_sockaddr(const Endpoint& endpoint);
Endpoint from_sockaddr(const sockaddr_storage& address);
Endpoint local_endpoint(int fd);
Endpoint peer_endpoint(int fd);

// "what: strerror(err)".
std::string errno_text(const std::string& what, int err);

// A non-blocking socket bound to `endpoint` (SO_REUSEADDR), listening when it is TCP.
Result<Fd, std::string> bound_socket(const Endpoint& endpoint, bool udp);

// Starts a non-blocking TCP connect to `endpoint` and waits until it completes, `latch` is set
// or `until` passes; the message says why it failed.
Result<Fd, std::string> connect_tcp(const Endpoint& endpoint, const Latch& latch,
                                    const Clock& clock, Duration until);

enum class WaitOutcome : std::uint8_t { ready, woken, timed_out };

// Waits until `fd` has one of `events` (fd -1: only the latch and the time count), the latch is
// set, or scenario instant `until` passes (nullopt: no bound). EINTR is retried. A set latch wins.
WaitOutcome wait_fd(int fd, short events, const Latch& latch, const Clock& clock,
                    std::optional<Duration> until);

// Sets TCP_NODELAY; closes with an RST (SO_LINGER 0) or an orderly shutdown.
void set_nodelay(int fd);
void close_with_reset(Fd& fd);
void close_orderly(Fd& fd);

}  // namespace rpcfit::fault::proxy_internal
