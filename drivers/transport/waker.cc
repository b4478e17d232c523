#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "harness/seams/transport.h"

namespace rpcfit {

// A Waker that cannot be made leaves nothing to wait on, so this is the one place the transport
// throws: running out of descriptors while setting up is not an I/O outcome.
Waker::Waker() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

Waker::~Waker() {
  ::close(fd_);
}

void Waker::wake() const {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated: a wake is pending already, which is all that matters.
  for (;;) {
    if (::write(fd_, &one, sizeof one) >= 0 || errno != EINTR) return;
  }
}

bool Waker::consume() const {
  std::uint64_t count = 0;
  for (;;) {
    if (::read(fd_, &count, sizeof count) == static_cast<ssize_t>(sizeof count)) return true;
    if (errno != EINTR) return false;
  }
}

bool Waker::pending() const {
  pollfd p{fd_, POLLIN, 0};
  for (;;) {
    const int n = ::poll(&p, 1, 0);
    if (n >= 0) return n > 0;
    if (errno != EINTR) return false;
  }
}

}  // namespace rpcfit
