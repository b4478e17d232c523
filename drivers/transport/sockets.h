// Socket helpers for code that works on bare sockets rather than a StreamConnection (the fault
// proxy, and the transport's own TCP connect): a bound socket on an endpoint, a non-blocking
// connect that a Waker or a deadline cuts short, TCP_NODELAY, and TCP's two ways to close.
#pragma once

#include <string>

#include "drivers/transport/addressing.h"
#include "drivers/transport/fd_util.h"
#include "harness/core/clock.h"
#include "harness/core/endpoint.h"
#include "harness/core/result.h"
#include "harness/seams/transport.h"

namespace rpcfit::transport::internal {

// A non-blocking, close-on-exec socket of `type` (SOCK_STREAM or SOCK_DGRAM) bound to `endpoint`
// with SO_REUSEADDR, and listening when it is a stream socket. The message names the failing call:
// "socket: <why>", "bind <endpoint>: <why>" (an address in use included) or "listen <endpoint>:
// <why>".
Result<Fd, std::string> bound_socket(const Endpoint& endpoint, int type);

// Connects the non-blocking socket `fd` to `address`, waiting as wait_fd() does while the
// connection is in progress: ready once it is made, woken, timed_out, or failed with the errno of
// connect(), of the attempt (SO_ERROR) or of ppoll.
WaitResult connect_socket(int fd, const SocketAddress& address, const Waker* waker,
                          const Clock& clock, const Deadline& deadline);

// TCP_NODELAY: each write leaves as its own segment, with no Nagle delay.
void set_nodelay(int fd);

// Closes a TCP socket so that its peer sees a reset (SO_LINGER 0: RST, unsent bytes dropped).
// Nothing when `fd` is not open.
void close_with_reset(Fd& fd);
// Closes a TCP socket in order (shut down both ways, then closed): the peer reads end of stream.
// Nothing when `fd` is not open.
void close_orderly(Fd& fd);

}  // namespace rpcfit::transport::internal
