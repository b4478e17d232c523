#include "drivers/transport/listeners.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "drivers/transport/addressing.h"
#include "drivers/transport/fd_util.h"
#include "drivers/transport/socket_connection.h"
#include "drivers/transport/sockets.h"

namespace rpcfit::transport::internal {
namespace {

// Errors accept4() reports for a connection that died while queued, or (for TCP) network errors
// that belong to that connection rather than the listener: the next one may be fine.
bool retry_accept(int err) {
  switch (err) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
      return true;
    default:
      return false;
  }
}

// One listener type for every protocol sequence; what differs is decided at accept time.
// Threading: accept() from one thread at a time; a Waker unblocks it. close() must not overlap
// accept().
class SocketListener final : public StreamListener {
 public:
  SocketListener(Protseq protseq, Fd fd, std::string endpoint, const TransportContext& context)
      : protseq_(protseq),
        fd_(std::move(fd)),
        endpoint_(std::move(endpoint)),
        clock_(*context.clock),
        capture_(context.capture),
        max_fragment_(context.max_fragment) {}

  // For Unix sockets: the socket file to remove on close.
  void own_socket_file(OwnedSocketFile file, Endpoint server) {
    file_ = std::move(file);
    server_ = server;
  }

  ~SocketListener() override { close(); }

  std::unique_ptr<StreamConnection> accept(const Deadline& deadline, const Waker* waker,
                                           IoResult& result) override {
    for (;;) {
      if (!fd_.valid()) {
        result = {IoStatus::failed, "listener is closed"};
        return nullptr;
      }
      SocketAddress peer;
      peer.length = sizeof peer.storage;
      Fd conn(::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&peer.storage), &peer.length,
                        SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (conn.valid()) {
        auto made = set_up(std::move(conn), peer, deadline, result);
        if (made || result.status == IoStatus::timed_out) return made;
        continue;  // the client went away before the banner reached it
      }
      const int err = errno;
      if (retry_accept(err)) continue;
      if (err != EAGAIN) {
        result = {IoStatus::failed, errno_text("accept", err)};
        return nullptr;
      }
      const WaitResult w = wait_fd(fd_.get(), POLLIN, waker, clock_, deadline);
      switch (w.outcome) {
        case WaitOutcome::ready:
          continue;
        case WaitOutcome::woken:
          result = {IoStatus::woken, {}};
          return nullptr;
        case WaitOutcome::timed_out:
          result = {IoStatus::timed_out, {}};
          return nullptr;
        case WaitOutcome::failed:
          result = {IoStatus::failed, errno_text("poll", w.error)};
          return nullptr;
      }
    }
  }

  std::string endpoint() const override { return endpoint_; }

  void close() override {
    if (!fd_.valid()) return;
    fd_.reset();
    remove_socket_file(file_);
  }

 private:
  std::unique_ptr<StreamConnection> set_up(Fd conn, const SocketAddress& peer,
                                           const Deadline& deadline, IoResult& result) {
    Endpoint local;
    Endpoint remote;
    if (is_unix_protseq(protseq_)) {
      local = server_;
      // The connector's synthesized port is not visible here; this side draws its own.
      remote = next_synthetic_client(protseq_);
    } else {
      set_nodelay(conn.get());
      local = socket_local_endpoint(conn.get());
      remote = to_endpoint(peer);
    }
    if (protseq_ == Protseq::ncacn_http) {
      // No waker here: fourteen bytes fit any fresh socket buffer, and a wake must not lose a
      // connection that has already been accepted.
      IoResult sent = write_all(conn.get(), std::string(kHttpBanner), clock_, deadline);
      if (!sent.ok()) {
        if (sent.status == IoStatus::timed_out) result = sent;
        return nullptr;
      }
    }
    result = {};
    return std::make_unique<SocketConnection>(std::move(conn), clock_, capture_, local, remote,
                                              Side::server, max_fragment_);
  }

  Protseq protseq_;
  Fd fd_;
  std::string endpoint_;
  const Clock& clock_;
  CaptureSink* capture_;
  std::size_t max_fragment_;
  OwnedSocketFile file_;
  Endpoint server_;
};

}  // namespace

Result<std::unique_ptr<StreamListener>, std::string> listen_tcp(Protseq protseq,
                                                                const std::string& host,
                                                                const std::string& endpoint,
                                                                const TransportContext& context) {
  auto address = resolve_first(host, endpoint, true);
  if (!address) return unexpected(address.error());
  Fd fd(::socket(address->storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return unexpected(errno_text("socket", errno));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (auto bound = bind_address(fd.get(), *address); !bound) return unexpected(bound.error());
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    return unexpected(errno_text("listen " + to_endpoint(*address).to_string(), errno));
  }
  const std::string bound = std::to_string(socket_local_endpoint(fd.get()).port);
  return std::unique_ptr<StreamListener>(
      std::make_unique<SocketListener>(protseq, std::move(fd), bound, context));
}

Result<std::unique_ptr<StreamListener>, std::string> listen_unix(
    Protseq protseq, const std::string& endpoint, const std::filesystem::path& run_dir,
    const TransportContext& context) {
  const std::string name =
      endpoint.empty() || endpoint == "0" ? generate_endpoint_name() : endpoint;
  auto ep = unix_endpoint(protseq, name, run_dir);
  if (!ep) return unexpected(ep.error());
  if (auto cleared = clear_stale_socket(*ep); !cleared) return unexpected(cleared.error());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return unexpected(errno_text("socket", errno));
  auto file = bind_socket_file(fd.get(), *ep);
  if (!file) return unexpected(file.error());
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    const int err = errno;
    ::unlink(ep->path.c_str());
    return unexpected(errno_text("listen " + ep->path.string(), err));
  }
  auto listener = std::make_unique<SocketListener>(protseq, std::move(fd), ep->display, context);
  listener->own_socket_file(std::move(*file), ep->server);
  return std::unique_ptr<StreamListener>(std::move(listener));
}

}  // namespace rpcfit::transport::internal
