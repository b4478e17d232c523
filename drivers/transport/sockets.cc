#include "drivers/transport/sockets.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace rpcfit::transport::internal {

Result<Fd, std::string> bound_socket(const Endpoint& endpoint, int type) {
  const SocketAddress address = to_socket_address(endpoint);
  Fd fd(::socket(address.storage.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return unexpected(errno_text("socket", errno));
  const int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd.get(), address.get(), address.length) != 0) {
    return unexpected(errno_text("bind " + endpoint.to_string(), errno));
  }
  if (type == SOCK_STREAM && ::listen(fd.get(), SOMAXCONN) != 0) {
    return unexpected(errno_text("listen " + endpoint.to_string(), errno));
  }
  return fd;
}

WaitResult connect_socket(int fd, const SocketAddress& address, const Waker* waker,
                          const Clock& clock, const Deadline& deadline) {
  if (::connect(fd, address.get(), address.length) == 0) return {WaitOutcome::ready, 0};
  // After EINTR the attempt goes on in the background, as after EINPROGRESS; connecting again
  // would only report EALREADY.
  if (errno != EINPROGRESS && errno != EINTR) return {WaitOutcome::failed, errno};
  const WaitResult w = wait_fd(fd, POLLOUT, waker, clock, deadline);
  if (w.outcome != WaitOutcome::ready) return w;
  int err = 0;
  socklen_t length = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &length) != 0) err = errno;
  if (err != 0) return {WaitOutcome::failed, err};
  return {WaitOutcome::ready, 0};
}

void set_nodelay(int fd) {
  const int on = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

void close_with_reset(Fd& fd) {
  if (!fd.valid()) return;
  const linger abortive{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  fd.reset();
}

void close_orderly(Fd& fd) {
  if (!fd.valid()) return;
  ::shutdown(fd.get(), SHUT_RDWR);
  fd.reset();
}

}  // namespace rpcfit::transport::internal
