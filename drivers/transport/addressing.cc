#include "drivers/transport/addressing.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>

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

std::uint8_t synthetic_net(Protseq protseq) {
  return protseq == Protseq::ncacn_np ? 2 : 3;
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

std::string sanitize(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    if (!keep) c = '_';
  }
  return out;
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
    return unexpected(std::string(pipe ? "empty pipe name" : "empty ncalrpc endpoint name"));
  }
  UnixEndpoint out;
  out.display = pipe ? "\\pipe\\" + bare : bare;
  out.file_name = sanitize(bare);
  out.path = run_dir / ((pipe ? "np-" : "lrpc-") + out.file_name);
  const std::string text = out.path.string();
  constexpr std::size_t kMaxPath = sizeof(sockaddr_un::sun_path) - 1;
  if (text.size() > kMaxPath) {
    return unexpected("socket path " + text + " is " + std::to_string(text.size()) +
                      " bytes; Unix sockets allow at most " + std::to_string(kMaxPath) +
                      " (use a shorter run directory or endpoint name)");
  }
  const std::uint8_t net = synthetic_net(protseq);
  out.server.address = IpAddress::v4(127, 0, net, 2);
  out.server.port =
      static_cast<std::uint16_t>(kServerPortBase + fnv1a(out.file_name) % kServerPortSpan);
  return out;
}

std::string generate_endpoint_name() {
  static std::atomic<std::uint64_t> counter{0};
  return "rpcfit-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1) + 1);
}

Endpoint next_synthetic_client(Protseq protseq) {
  static std::atomic<std::uint32_t> counter{0};
  const std::uint32_t span = kClientPortLimit - kFirstClientPort;
  Endpoint e;
  e.address = IpAddress::v4(127, 0, synthetic_net(protseq), 1);
  e.port = static_cast<std::uint16_t>(kFirstClientPort + counter.fetch_add(1) % span);
  return e;
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

}  // namespace rpcfit::transport::internal
