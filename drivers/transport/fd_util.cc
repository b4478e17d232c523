#include "drivers/transport/fd_util.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace rpcfit::transport::internal {

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int Fd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset(int fd) {
  // close() is not retried on EINTR: on Linux the descriptor is released either way.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

WaitResult wait_fd(int fd, short events, const Waker* waker, const Clock& clock,
                   const Deadline& deadline) {
  if (fd < 0) return {WaitOutcome::failed, EBADF};
  pollfd fds[2] = {{fd, events, 0}, {waker ? waker->fd() : -1, POLLIN, 0}};
  const nfds_t count = waker ? 2 : 1;
  for (;;) {
    fds[0].revents = 0;
    fds[1].revents = 0;
    timespec timeout{};
    const timespec* timeout_ptr = nullptr;
    if (auto left = clock.real_remaining(deadline)) {
      timeout.tv_sec = static_cast<time_t>(left->count() / 1'000'000'000);
      timeout.tv_nsec = static_cast<long>(left->count() % 1'000'000'000);
      timeout_ptr = &timeout;
    }
    const int n = ::ppoll(fds, count, timeout_ptr, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      return {WaitOutcome::failed, errno};
    }
    if (n == 0) return {WaitOutcome::timed_out, 0};
    if (waker && (fds[1].revents & POLLIN) != 0) return {WaitOutcome::woken, 0};
    if ((fds[0].revents & POLLNVAL) != 0) return {WaitOutcome::failed, EBADF};
    if (fds[0].revents != 0) return {WaitOutcome::ready, 0};
  }
}

WaitResult wait_wake(const Waker& waker, const Clock& clock, const Deadline& deadline) {
  // A pending Waker is a readable eventfd.
  WaitResult w = wait_fd(waker.fd(), POLLIN, nullptr, clock, deadline);
  if (w.outcome == WaitOutcome::ready) w.outcome = WaitOutcome::woken;
  return w;
}

ssize_t recv_datagram(int fd, Bytes& buffer, sockaddr_storage* from, socklen_t* from_length) {
  for (;;) {
    const ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC,
                                 reinterpret_cast<sockaddr*>(from), from_length);
    if (n >= 0 || errno != EINTR) return n;
  }
}

std::string errno_text(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

bool set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return false;
  return ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

IoResult wait_result(const WaitResult& w, const char* what) {
  switch (w.outcome) {
    case WaitOutcome::ready:
      return {};
    case WaitOutcome::woken:
      return {IoStatus::woken, {}};
    case WaitOutcome::timed_out:
      return {IoStatus::timed_out, {}};
    case WaitOutcome::failed:
      return {IoStatus::failed, errno_text(what, w.error)};
  }
  return {IoStatus::failed, what};
}

IoResult write_all(int fd, const std::string& data, const Clock& clock, const Deadline& deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET) return {IoStatus::failed, "connection reset"};
    if (errno != EAGAIN) return {IoStatus::failed, errno_text("send", errno)};
    IoResult waited = wait_result(wait_fd(fd, POLLOUT, nullptr, clock, deadline), "poll");
    if (!waited.ok()) return waited;
  }
  return {};
}

IoResult read_exact(int fd, std::string& data, const Clock& clock, const Deadline& deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::recv(fd, data.data() + done, data.size() - done, MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      data.resize(done);
      return {IoStatus::closed, {}};
    }
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return {IoStatus::failed, "connection reset"};
    if (errno != EAGAIN) return {IoStatus::failed, errno_text("recv", errno)};
    IoResult waited = wait_result(wait_fd(fd, POLLIN, nullptr, clock, deadline), "poll");
    if (!waited.ok()) {
      data.resize(done);
      return waited;
    }
  }
  return {};
}

}  // namespace rpcfit::transport::internal
