#include "drivers/transport/transport.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "drivers/transport/addressing.h"
#include "drivers/transport/fd_util.h"
#include "drivers/transport/listeners.h"
#include "drivers/transport/socket_connection.h"
#include "drivers/transport/sockets.h"

namespace rpcfit::transport {
namespace {

using internal::Fd;
using internal::SocketAddress;
using ConnectResult = Result<std::unique_ptr<StreamConnection>, IoResult>;

Unexpected<IoResult> connect_failed(std::string detail) {
  return unexpected(IoResult{IoStatus::failed, std::move(detail)});
}

std::filesystem::path run_dir_of(const TransportContext& context) {
  return context.run_dir.empty() ? default_run_dir() : context.run_dir;
}

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// The client reads the banner and not one byte more, so that the first PDU stays in the socket
// for the connection's stream reader.
IoResult read_http_banner(int fd, const Clock& clock, const Deadline& deadline) {
  std::string banner(internal::kHttpBanner.size(), '\0');
  IoResult got = internal::read_exact(fd, banner, clock, deadline);
  if (got.status == IoStatus::closed) {
    return {IoStatus::failed, "bad ncacn_http banner: connection closed after " +
                                  std::to_string(banner.size()) + " bytes"};
  }
  if (!got.ok()) {
    if (got.status == IoStatus::failed) got.detail = "reading ncacn_http banner: " + got.detail;
    return got;
  }
  if (banner != internal::kHttpBanner) return {IoStatus::failed, "bad ncacn_http banner"};
  return {};
}

// A non-blocking connect to one address. nullopt on success; a failed result names the address.
std::optional<IoResult> connect_tcp_address(int fd, const SocketAddress& address,
                                            const Clock& clock, const Deadline& deadline) {
  const internal::WaitResult w = internal::connect_socket(fd, address, nullptr, clock, deadline);
  switch (w.outcome) {
    case internal::WaitOutcome::ready:
      return std::nullopt;
    case internal::WaitOutcome::woken:
    case internal::WaitOutcome::timed_out:
      return IoResult{IoStatus::timed_out, {}};
    case internal::WaitOutcome::failed:
      break;
  }
  const std::string where = internal::to_endpoint(address).to_string();
  return IoResult{IoStatus::failed, internal::errno_text("connect " + where, w.error)};
}

ConnectResult connect_tcp(Protseq protseq, const std::string& host, const std::string& endpoint,
                          const TransportContext& context, const Deadline& deadline) {
  auto port = internal::parse_port(endpoint, false);
  if (!port) return connect_failed(port.error());
  auto addresses = internal::resolve(host, *port);
  if (!addresses) return connect_failed(addresses.error());
  IoResult last;
  for (const SocketAddress& address : *addresses) {
    Fd fd(::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return connect_failed(internal::errno_text("socket", errno));
    internal::set_nodelay(fd.get());
    if (auto failed = connect_tcp_address(fd.get(), address, *context.clock, deadline)) {
      if (failed->status == IoStatus::timed_out) return unexpected(*failed);
      last = *failed;
      continue;
    }
    if (protseq == Protseq::ncacn_http) {
      IoResult banner = read_http_banner(fd.get(), *context.clock, deadline);
      if (!banner.ok()) return unexpected(banner);
    }
    const Endpoint local = internal::socket_local_endpoint(fd.get());
    const Endpoint peer = internal::socket_peer_endpoint(fd.get());
    return std::unique_ptr<StreamConnection>(std::make_unique<internal::SocketConnection>(
        std::move(fd), *context.clock, context.capture, local, peer, internal::Side::client,
        context.max_fragment));
  }
  return unexpected(last);
}

// SO_SNDTIMEO bounds a blocking Unix connect that waits for room in a full listen backlog, which
// a non-blocking connect would only report as EAGAIN with nothing to poll for.
bool set_send_timeout(int fd, std::chrono::nanoseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
  tv.tv_usec = static_cast<suseconds_t>(timeout.count() % 1'000'000'000 / 1000);
  return ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0;
}

ConnectResult connect_unix(Protseq protseq, const std::string& endpoint,
                           const TransportContext& context, const Deadline& deadline) {
  auto dir = ensure_private_dir(run_dir_of(context));
  if (!dir) return connect_failed(dir.error());
  auto ep = internal::unix_endpoint(protseq, endpoint, *dir);
  if (!ep) return connect_failed(ep.error());
  const auto left = context.clock->real_remaining(deadline);
  const bool nonblocking = left && left->count() < 1000;  // SO_SNDTIMEO of 0 means "forever"
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0));
  if (!fd.valid()) return connect_failed(internal::errno_text("socket", errno));
  if (left && !nonblocking && !set_send_timeout(fd.get(), *left)) {
    return connect_failed(internal::errno_text("setsockopt", errno));
  }
  const SocketAddress address = internal::unix_address(ep->path);
  int rc = 0;
  do {
    rc = ::connect(fd.get(), address.get(), address.length);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    switch (errno) {
      case EAGAIN:
      case EINPROGRESS:
        return unexpected(IoResult{IoStatus::timed_out, {}});
      case ENOENT:
        return connect_failed("no such endpoint: " + ep->display + " (" + ep->path.string() +
                              " does not exist)");
      case ECONNREFUSED:
        return connect_failed("connection refused: nothing listens on " + ep->path.string());
      default:
        return connect_failed(internal::errno_text("connect " + ep->path.string(), errno));
    }
  }
  // SO_SNDTIMEO stays set but has no effect once the socket is non-blocking.
  if (!internal::set_nonblocking(fd.get())) {
    return connect_failed(internal::errno_text("fcntl", errno));
  }
  return std::unique_ptr<StreamConnection>(std::make_unique<internal::SocketConnection>(
      std::move(fd), *context.clock, context.capture, internal::next_synthetic_client(protseq),
      ep->server, internal::Side::client, context.max_fragment));
}

}  // namespace

std::filesystem::path default_run_dir() {
  if (const char* dir = std::getenv("RPCFIT_RUN_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "rpcfit";
  }
  return "/tmp/rpcfit-" + std::to_string(::geteuid());
}

Result<std::filesystem::path, std::string> ensure_private_dir(const std::filesystem::path& dir) {
  const std::string name = dir.string();
  if (name.empty()) return unexpected(std::string("run directory: empty path"));
  if (::mkdir(name.c_str(), 0700) == 0) {
    // The umask may have taken owner bits away; the directory is ours, so set them exactly.
    if (::chmod(name.c_str(), 0700) != 0) {
      return unexpected(
          internal::errno_text("cannot set mode 0700 on run directory " + name, errno));
    }
  } else if (errno != EEXIST) {
    return unexpected(internal::errno_text("cannot create run directory " + name, errno));
  }
  struct stat st {};
  if (::lstat(name.c_str(), &st) != 0) {
    return unexpected(internal::errno_text("cannot inspect run directory " + name, errno));
  }
  // lstat, not stat: a symbolic link could be swapped to point elsewhere after the checks.
  if (!S_ISDIR(st.st_mode)) {
    return unexpected("run directory " + name + " is not a directory" +
                      (S_ISLNK(st.st_mode) ? " (it is a symbolic link)" : ""));
  }
  if (st.st_uid != ::geteuid()) {
    return unexpected("run directory " + name + " is owned by uid " + std::to_string(st.st_uid) +
                      ", not by this user (uid " + std::to_string(::geteuid()) + ")");
  }
  if ((st.st_mode & 077) != 0) {
    return unexpected("run directory " + name + " has mode " + octal_mode(st.st_mode) +
                      "; it must not be accessible by group or others (use 0700)");
  }
  return dir;
}

Result<std::unique_ptr<StreamConnection>, IoResult> connect(Protseq protseq,
                                                            const std::string& host,
                                                            const std::string& endpoint,
                                                            const TransportContext& context,
                                                            const Deadline& deadline) {
  if (context.clock == nullptr) return connect_failed("transport context has no clock");
  switch (protseq) {
    case Protseq::ncacn_ip_tcp:
    case Protseq::ncacn_http:
      return connect_tcp(protseq, host, endpoint, context, deadline);
    case Protseq::ncacn_np:
    case Protseq::ncalrpc:
      return connect_unix(protseq, endpoint, context, deadline);
    case Protseq::ncadg_ip_udp:
    case Protseq::ncadg_mq:
      break;
  }
  return connect_failed(std::string(protseq_name(protseq)) + " is not connection-oriented");
}

Result<std::unique_ptr<StreamListener>, std::string> listen(Protseq protseq,
                                                            const std::string& host,
                                                            const std::string& endpoint,
                                                            const TransportContext& context) {
  if (context.clock == nullptr) return unexpected(std::string("transport context has no clock"));
  switch (protseq) {
    case Protseq::ncacn_ip_tcp:
    case Protseq::ncacn_http:
      return internal::listen_tcp(protseq, host, endpoint, context);
    case Protseq::ncacn_np:
    case Protseq::ncalrpc: {
      auto dir = ensure_private_dir(run_dir_of(context));
      if (!dir) return unexpected(dir.error());
      return internal::listen_unix(protseq, endpoint, *dir, context);
    }
    case Protseq::ncadg_ip_udp:
    case Protseq::ncadg_mq:
      break;
  }
  return unexpected(std::string(protseq_name(protseq)) + " is not connection-oriented");
}

}  // namespace rpcfit::transport
