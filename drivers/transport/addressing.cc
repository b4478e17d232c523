#include "drivers/transport/addressing.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>

#include "drivers/transport/fd_util.h"

namespace rpcfit::transport::internal {
namespace {

constexpr std::uint16_t kFirstClientPort = 50000;
constexpr std::uint16_t kClientPortLimit = 65535;  // exclusive
constexpr std::uint16_t kServerPortBase = 49152;
constexpr std::uint32_t kServerPortSpan = 16384;

std::uint32_t fnv1a(std::string_view text) {
  std::uint32_t h = 2166136261u;
  for (char c : text) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

// The third octet of the synthesized addresses of a protocol sequence (see transport.h and
// datagram.h).
std::uint8_t synthetic_net(Protseq protseq) {
  if (protseq == Protseq::ncacn_np) return 2;
  if (protseq == Protseq::ncadg_mq) return 4;
  return 3;
}

std::string_view file_prefix(Protseq protseq) {
  if (protseq == Protseq::ncacn_np) return "np-";
  if (protseq == Protseq::ncadg_mq) return "mq-";
  return "lrpc-";
}

bool is_backslash(char c) {
  return c == '\\';
}

std::string strip_pipe_prefix(const std::string& name) {
  std::size_t i = 0;
  while (i < name.size() && is_backslash(name[i]))
    ++i;
  if (i == 0) return name;
  static constexpr std::string_view kPipe = "pipe";
  if (name.size() - i > kPipe.size() && is_backslash(name[i + kPipe.size()])) {
    bool match = true;
    for (std::size_t k = 0; k < kPipe.size(); ++k) {
      const char c = name[i + k];
      match = match && (c == kPipe[k] || c == static_cast<char>(kPipe[k] - 'a' + 'A'));
    }
    if (match) {
      i += kPipe.size();
      while (i < name.size() && is_backslash(name[i]))
        ++i;
    }
  }
  return name.substr(i);
}

Endpoint socket_endpoint(int fd, bool peer) {
  SocketAddress address;
  address.length = sizeof address.storage;
  sockaddr* sa = reinterpret_cast<sockaddr*>(&address.storage);
  const int rc =
      peer ? ::getpeername(fd, sa, &address.length) : ::getsockname(fd, sa, &address.length);
  if (rc != 0) return {};
  return to_endpoint(address);
}

}  // namespace

std::string sanitize(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    if (!keep) c = '_';
  }
  return out;
}

Result<std::uint16_t, std::string> parse_port(const std::string& text, bool allow_any) {
  if (text.empty()) {
    if (allow_any) return std::uint16_t{0};
    return unexpected(std::string("no port given"));
  }
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || value > 65535) {
      return unexpected("bad port \"" + text + "\": not a number from 0 to 65535");
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return unexpected("bad port \"" + text + "\": not a number from 0 to 65535");
  if (value == 0 && !allow_any) return unexpected(std::string("port 0 cannot be connected to"));
  return static_cast<std::uint16_t>(value);
}

Result<std::vector<SocketAddress>, std::string> resolve(const std::string& host,
                                                        std::uint16_t port) {
  const std::string name = host.empty() ? "127.0.0.1" : host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(name.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) return unexpected("cannot resolve \"" + name + "\": " + ::gai_strerror(rc));
  std::vector<SocketAddress> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    SocketAddress a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    out.push_back(a);
  }
  ::freeaddrinfo(list);
  if (out.empty()) return unexpected("no IPv4 or IPv6 address for \"" + name + "\"");
  return out;
}

Result<SocketAddress, std::string> resolve_first(const std::string& host, const std::string& port,
                                                 bool allow_any_port) {
  auto number = parse_port(port, allow_any_port);
  if (!number) return unexpected(number.error());
  auto addresses = resolve(host, *number);
  if (!addresses) return unexpected(addresses.error());
  return addresses->front();
}

Result<bool, std::string> bind_address(int fd, const SocketAddress& address) {
  if (::bind(fd, address.get(), address.length) == 0) return true;
  const std::string where = to_endpoint(address).to_string();
  if (errno == EADDRINUSE) return unexpected("endpoint in use: " + where);
  return unexpected(errno_text("bind " + where, errno));
}

Endpoint to_endpoint(const SocketAddress& address) {
  Endpoint e;
  if (address.storage.ss_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, &address.storage, sizeof in);
    std::memcpy(e.address.bytes.data(), &in.sin_addr, 4);
    e.port = ntohs(in.sin_port);
  } else if (address.storage.ss_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &address.storage, sizeof in6);
    e.address.v6 = true;
    std::memcpy(e.address.bytes.data(), &in6.sin6_addr, 16);
    e.port = ntohs(in6.sin6_port);
  }
  return e;
}

SocketAddress to_socket_address(const Endpoint& endpoint) {
  SocketAddress out;
  if (endpoint.address.v6) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(endpoint.port);
    std::memcpy(&in6.sin6_addr, endpoint.address.bytes.data(), 16);
    std::memcpy(&out.storage, &in6, sizeof in6);
    out.length = sizeof in6;
  } else {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(endpoint.port);
    std::memcpy(&in.sin_addr, endpoint.address.bytes.data(), 4);
    std::memcpy(&out.storage, &in, sizeof in);
    out.length = sizeof in;
  }
  return out;
}

Endpoint socket_local_endpoint(int fd) {
  return socket_endpoint(fd, false);
}
Endpoint socket_peer_endpoint(int fd) {
  return socket_endpoint(fd, true);
}

Result<UnixEndpoint, std::string> unix_endpoint(Protseq protseq, const std::string& name,
                                                const std::filesystem::path& run_dir) {
  const bool pipe = protseq == Protseq::ncacn_np;
  const std::string bare = pipe ? strip_pipe_prefix(name) : name;
  if (bare.empty()) {
    if (pipe) return unexpected(std::string("empty pipe name"));
    return unexpected("empty " + std::string(protseq_name(protseq)) + " endpoint name");
  }
  UnixEndpoint out;
  out.display = pipe ? "\\pipe\\" + bare : bare;
  out.file_name = sanitize(bare);
  out.path = run_dir / (std::string(file_prefix(protseq)) + out.file_name);
  const std::string text = out.path.string();
  constexpr std::size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
  if (text.size() > kMaxPath) {
    return unexpected("socket path " + text + " is " + std::to_string(text.size()) +
                      " bytes; Unix sockets allow at most " + std::to_string(kMaxPath) +
                      " (use a shorter run directory or endpoint name)");
  }
  out.server = synthetic_endpoint(
      protseq, true,
      static_cast<std::uint16_t>(kServerPortBase + fnv1a(out.file_name) % kServerPortSpan));
  return out;
}

std::string generate_endpoint_name() {
  static std::atomic<std::uint64_t> counter{0};
  return "rpcfit-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1) + 1);
}

Endpoint next_synthetic_client(Protseq protseq) {
  static std::atomic<std::uint32_t> counter{0};
  const std::uint32_t span = kClientPortLimit - kFirstClientPort;
  return synthetic_endpoint(
      protseq, false, static_cast<std::uint16_t>(kFirstClientPort + counter.fetch_add(1) % span));
}

Endpoint synthetic_endpoint(Protseq protseq, bool server, std::uint16_t port) {
  return Endpoint{IpAddress::v4(127, 0, synthetic_net(protseq), server ? 2 : 1), port};
}

SocketAddress unix_address(const std::filesystem::path& path) {
  SocketAddress out;
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  const std::string text = path.string();
  std::memcpy(un.sun_path, text.c_str(), std::min(text.size() + 1, sizeof un.sun_path));
  std::memcpy(&out.storage, &un, sizeof un);
  out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + text.size() + 1);
  return out;
}

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
  // reports EPROTOTYPE when a stream socket is bound to the file, succeeds when a datagram socket
  // is (ncadg_mq), and reports ECONNREFUSED when none is.
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

Result<OwnedSocketFile, std::string> bind_socket_file(int fd, const UnixEndpoint& ep) {
  const std::string path = ep.path.string();
  const SocketAddress address = unix_address(ep.path);
  if (::bind(fd, address.get(), address.length) != 0) {
    if (errno == EADDRINUSE)
      return unexpected("endpoint in use: " + ep.display + " (" + path + ")");
    return unexpected(errno_text("bind " + path, errno));
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return unexpected(errno_text("cannot inspect " + path, err));
  }
  return OwnedSocketFile{ep.path, st.st_dev, st.st_ino};
}

void remove_socket_file(const OwnedSocketFile& file) {
  if (file.path.empty()) return;
  struct stat st {};
  if (::lstat(file.path.c_str(), &st) == 0 && st.st_dev == file.dev && st.st_ino == file.ino) {
    ::unlink(file.path.c_str());
  }
}

}  // namespace rpcfit::transport::internal
