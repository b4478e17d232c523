// Names and addresses of the protocol sequences: TCP and UDP address resolution, Unix socket paths
// for pipe, ncalrpc and ncadg_mq endpoint names, and the synthesized endpoints that stand for
// Unix-socket connections and message queues in captures (see transport.h and datagram.h).
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

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
// The first of resolve(host, port) for a port given as text (parse_port's rules).
Result<SocketAddress, std::string> resolve_first(const std::string& host, const std::string& port,
                                                 bool allow_any_port);
// Binds `fd` to `address`; "endpoint in use: <address>" when it is taken.
Result<bool, std::string> bind_address(int fd, const SocketAddress& address);
Endpoint to_endpoint(const SocketAddress& address);
// The sockaddr_in or sockaddr_in6 of an IPv4 or IPv6 endpoint.
SocketAddress to_socket_address(const Endpoint& endpoint);
// The socket's own or its peer's address; a zero endpoint when the call fails.
Endpoint socket_local_endpoint(int fd);
Endpoint socket_peer_endpoint(int fd);

// A Unix-socket endpoint: what listen() reports, where the socket lives, and how captures name
// its server side.
struct UnixEndpoint {
  std::string display;  // endpoint() text: "\pipe\<name>" for ncacn_np, else the name
  std::string file_name;
  std::filesystem::path path;
  Endpoint server;
};

// Pipe names lose a leading "\pipe\" (any number of backslashes, "pipe" in any case); the file name
// is the sanitized name. Errors: empty name, path too long. For ncadg_mq (datagram.h) the path is
// where a socket-backed queue of that name lives and `server` the queue's capture endpoint.
Result<UnixEndpoint, std::string> unix_endpoint(Protseq protseq, const std::string& name,
                                                const std::filesystem::path& run_dir);
// Characters outside [A-Za-z0-9._-] become '_': a name fit for a file or a message queue.
std::string sanitize(const std::string& name);
// A name no other listener or datagram server of this process has used: "rpcfit-<pid>-<n>".
std::string generate_endpoint_name();
// The synthesized client endpoint of the next Unix-socket connection or ncadg_mq client queue
// (process-wide port counter, 50000..65534, wrapping).
Endpoint next_synthetic_client(Protseq protseq);
// The synthesized endpoint 127.0.<net>.2:port (server) or 127.0.<net>.1:port (client) of a
// Unix-socket protocol sequence or ncadg_mq.
Endpoint synthetic_endpoint(Protseq protseq, bool server, std::uint16_t port);
// Fills `out` for a path that unix_endpoint() accepted.
SocketAddress unix_address(const std::filesystem::path& path);

// What sits at a Unix socket path before bind: nothing, a socket nobody has bound (left by a
// crashed run; removed), or a live socket (an error naming ep.display).
Result<bool, std::string> clear_stale_socket(const UnixEndpoint& ep);

// A socket file this process bound, identified by device and inode so that removing it leaves
// alone a file another socket has since put at the path.
struct OwnedSocketFile {
  std::filesystem::path path;
  dev_t dev = 0;
  ino_t ino = 0;
};
// Binds `fd` to ep.path (an error names ep.display when the path is taken) and records the file.
Result<OwnedSocketFile, std::string> bind_socket_file(int fd, const UnixEndpoint& ep);
// Unlinks the file if it is still the one recorded; nothing for an empty path.
void remove_socket_file(const OwnedSocketFile& file);

}  // namespace rpcfit::transport::internal
