// Names and addresses of the four protocol sequences: TCP address resolution, Unix socket paths
// for pipe and ncalrpc endpoint names, and the synthesized TCP endpoints that stand for Unix-socket
// connections in captures (see transport.h).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/transport/protseq.h"
#include "harness/core/endpoint.h"
#include "harness/core/result.h"

namespace rpcfit::transport::internal {

// The RPC-over-HTTP v1 banner an ncacn_http server sends before anything else.
inline constexpr std::string_view kHttpBanner = "ncacn_http/1.0";

inline bool is_unix_protseq(Protseq p) {
  return p == Protseq::ncacn_np || p == Protseq::ncalrpc;
}

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// "" or "0" is port 0 when allow_any; anything but decimal 0..65535 is an error.
Result<std::uint16_t, std::string> parse_port(const std::string& text, bool allow_any);
// Addresses for host ("" = 127.0.0.1), literal or name, in getaddrinfo's order.
Result<std::vector<SocketAddress>, std::string> resolve(const std::string& host,
                                                        std::uint16_t port);
Endpoint to_endpoint(const SocketAddress& address);
// The socket's own or its peer's address; a zero endpoint when the call fails.
Endpoint socket_local_endpoint(int fd);
Endpoint socket_peer_endpoint(int fd);

// A Unix-socket endpoint: what listen() reports, where the socket lives, and how captures name
// its server side.
struct UnixEndpoint {
  std::string display;  // endpoint() text: "\pipe\<name>" for ncacn_np, the name for ncalrpc
  std::string file_name;
  std::filesystem::path path;
  Endpoint server;
};

// Pipe names lose a leading "\pipe\" (any number of backslashes, "pipe" in any case); characters
// outside [A-Za-z0-9._-] become '_' in the file name. Errors: empty name, path too long.
Result<UnixEndpoint, std::string> unix_endpoint(Protseq protseq, const std::string& name,
                                                const std::filesystem::path& run_dir);
// A name no other listener of this process has used: "rpcfit-<pid>-<n>".
std::string generate_endpoint_name();
// The synthesized client endpoint of the next Unix-socket connection (process-wide port counter,
// 50000..65534, wrapping).
Endpoint next_synthetic_client(Protseq protseq);
// Fills `out` for a path that unix_endpoint() accepted.
SocketAddress unix_address(const std::filesystem::path& path);

}  // namespace rpcfit::transport::internal
