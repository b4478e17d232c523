// File-descriptor plumbing shared by the socket transports and the fault proxy: an owning
// descriptor and a wait on one descriptor that a Waker or a deadline can cut short.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "harness/core/clock.h"
#include "harness/seams/transport.h"

namespace rpcfit::transport::internal {

// Owns one file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

enum class WaitOutcome : std::uint8_t {
  ready,      // the descriptor has one of the events (or an error or hang-up to collect)
  woken,      // the waker is pending; it is not consumed
  timed_out,  // the deadline passed
  failed,     // ppoll itself failed or the descriptor is not open; see `error`
};

struct WaitResult {
  WaitOutcome outcome = WaitOutcome::ready;
  int error = 0;  // errno for failed
};

// Waits until `fd` has one of `events` (POLLIN, POLLOUT), `waker` (optional) is pending, or the
// scenario-time `deadline` passes. A pending waker wins over a ready descriptor, so a wake() made
// before the wait is always reported. EINTR is retried against the same deadline.
WaitResult wait_fd(int fd, short events, const Waker* waker, const Clock& clock,
                   const Deadline& deadline);
// Waits, with no descriptor, until `waker` is pending (woken) or the deadline passes (timed_out):
// a pause that a wake cuts short. failed when ppoll fails.
WaitResult wait_wake(const Waker& waker, const Clock& clock, const Deadline& deadline);
// The wait's outcome as an IoResult; `what` names the failing call in the detail.
IoResult wait_result(const WaitResult& w, const char* what);

// Calls `attempt` (returning std::optional<IoResult>) until it returns a result, waiting for
// `fd` to become readable after each nullopt (nothing to take yet). A datagram already queued is
// taken even when the waker is pending.
template <class Attempt>
IoResult receive_until(int fd, Attempt&& attempt, const Waker* waker, const Clock& clock,
                       const Deadline& deadline) {
  for (;;) {
    if (std::optional<IoResult> done = attempt()) return *done;
    IoResult waited = wait_result(wait_fd(fd, POLLIN, waker, clock, deadline), "poll");
    if (!waited.ok()) return waited;
  }
}

// One non-blocking recvfrom of a datagram into `buffer` (whose size is the most it takes); EINTR
// is retried. Returns the datagram's full length, which exceeds buffer.size() when it did not fit
// (MSG_TRUNC; the rest is lost), or -1 with errno set. `from` may be null.
ssize_t recv_datagram(int fd, Bytes& buffer, sockaddr_storage* from, socklen_t* from_length);

// "what: strerror(err)".
std::string errno_text(const std::string& what, int err);

// Sets O_NONBLOCK on `fd`; false with errno set on failure.
bool set_nonblocking(int fd);

// Writes all of `data` to the non-blocking `fd` before the deadline (no waker: for the few bytes
// of a handshake, which fit any socket buffer).
IoResult write_all(int fd, const std::string& data, const Clock& clock, const Deadline& deadline);

// Reads exactly data.size() bytes from the non-blocking `fd` before the deadline, never more, so
// that bytes after them stay in the socket for the connection's stream reader.
IoResult read_exact(int fd, std::string& data, const Clock& clock, const Deadline& deadline);

}  // namespace rpcfit::transport::internal
