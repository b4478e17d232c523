#include "drivers/transport/listeners.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "drivers/transport/addressing.h"
#include "drivers/transport/fd_util.h"
#include "drivers/transport/socket_connection.h"

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

  // For Unix sockets: the socket file to remove on close, identified by device and inode so that
  // a file another listener has since put at the path is left alone.
  void own_socket_file(std::filesystem::path path, const struct stat& st, Endpoint server) {
    path_ = std::move(path);
    dev_ = st.st_dev;
    ino_ = st.st_ino;
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
    if (path_.empty()) return;
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
      ::unlink(path_.c_str());
    }
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
      const int one = 1;
      ::setsockopt(conn.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
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
  std::filesystem::path path_;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  Endpoint server_;
};

// What sits at a Unix socket path before bind: nothing, a socket nobody listens on (left by a
// crashed run; removed), or a live listener (an error).
Result<bool, std::string> clear_stale_socket(const UnixEndpoint& ep) {
  struct stat st {};
  if (::lstat(ep.path.c_str(), &st) != 0) {
    if (errno == ENOENT) return true;
    return unexpected(errno_text("cannot inspect " + ep.path.string(), errno));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return unexpected("endpoint " + ep.display + ": " + ep.path.string() +
                      " exists and is not a socket");
  }
  // The probe is a datagram socket: a stream connect would succeed against a live listener and
  // leave it a spurious connection to accept. A datagram connect reaches no listener queue; it
  // reports EPROTOTYPE when a stream socket is bound to the file and ECONNREFUSED when none is.
  Fd probe(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!probe.valid()) return unexpected(errno_text("socket", errno));
  const SocketAddress address = unix_address(ep.path);
  int rc = 0;
  do {
    rc = ::connect(probe.get(), address.get(), address.length);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0 || errno == EPROTOTYPE) {
    return unexpected("endpoint in use: " + ep.display + " (a socket is live on " +
                      ep.path.string() + ")");
  }
  if (errno == ENOENT) return true;
  if (errno != ECONNREFUSED) {
    return unexpected(errno_text("cannot probe " + ep.path.string(), errno));
  }
  if (::unlink(ep.path.c_str()) != 0 && errno != ENOENT) {
    return unexpected(errno_text("cannot remove stale socket " + ep.path.string(), errno));
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<StreamListener>, std::string> listen_tcp(Protseq protseq,
                                                                const std::string& host,
                                                                const std::string& endpoint,
                                                                const TransportContext& context) {
  auto port = parse_port(endpoint, true);
  if (!port) return unexpected(port.error());
  auto addresses = resolve(host, *port);
  if (!addresses) return unexpected(addresses.error());
  const SocketAddress& address = addresses->front();
  const std::string where = to_endpoint(address).to_string();
  Fd fd(::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return unexpected(errno_text("socket", errno));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), address.get(), address.length) != 0) {
    if (errno == EADDRINUSE) return unexpected("endpoint in use: " + where);
    return unexpected(errno_text("bind " + where, errno));
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) return unexpected(errno_text("listen " + where, errno));
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
  const SocketAddress address = unix_address(ep->path);
  if (::bind(fd.get(), address.get(), address.length) != 0) {
    if (errno == EADDRINUSE) {
      return unexpected("endpoint in use: " + ep->display + " (" + ep->path.string() + ")");
    }
    return unexpected(errno_text("bind " + ep->path.string(), errno));
  }
  struct stat st {};
  if (::lstat(ep->path.c_str(), &st) != 0) {
    return unexpected(errno_text("cannot inspect " + ep->path.string(), errno));
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    const int err = errno;
    ::unlink(ep->path.c_str());
    return unexpected(errno_text("listen " + ep->path.string(), err));
  }
  auto listener = std::make_unique<SocketListener>(protseq, std::move(fd), ep->display, context);
  listener->own_socket_file(ep->path, st, ep->server);
  return std::unique_ptr<StreamListener>(std::move(listener));
}

}  // namespace rpcfit::transport::internal
