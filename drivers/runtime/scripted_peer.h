// A hand-driven DCE/RPC peer on raw loopback TCP for tests: it plays a server (or client) that
// misbehaves on cue: resets, garbage, silence. Blocking I/O with receive timeouts, so a test
// that goes wrong fails instead of hanging.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "harness/core/bytes.h"
#include "harness/wire/pdu.h"

namespace rpcfit::rpc::testing {

// One connected socket.
class RawSocket {
 public:
  explicit RawSocket(int fd);
  ~RawSocket();
  RawSocket(RawSocket&& other) noexcept;
  RawSocket& operator=(RawSocket&&) = delete;
  static RawSocket connect_tcp(std::uint16_t port);

  // The next whole CO PDU; nullopt on EOF, error or after 20 s.
  std::optional<wire::CoPdu> read_pdu();
  bool write(ByteView bytes);
  bool write(const wire::CoPdu& pdu);
  // Closes with an RST (SO_LINGER 0).
  void reset();
  void close();
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Accepts connections on 127.0.0.1:<port> and runs `script` for each on its own thread.
class ScriptedServer {
 public:
  using Script = std::function<void(RawSocket& socket, int connection_index)>;
  explicit ScriptedServer(Script script);
  ~ScriptedServer();
  std::uint16_t port() const { return port_; }
  std::string binding() const;

 private:
  int listen_fd_;
  std::uint16_t port_;
  Script script_;
  std::thread acceptor_;
  std::vector<std::thread> connections_;
};

// A bare loopback UDP socket: a test plays a datagram client or server by hand. Receives wait
// at most the real milliseconds given, so a test that goes wrong fails instead of hanging.
class RawUdp {
 public:
  RawUdp();
  ~RawUdp();
  RawUdp(const RawUdp&) = delete;
  RawUdp& operator=(const RawUdp&) = delete;
  std::uint16_t port() const;
  void send_to_port(std::uint16_t port);  // the peer until a datagram arrives from another
  // Bytes sent; the peer is the port given or the sender of the last datagram received.
  std::size_t send(ByteView bytes);
  std::size_t send(const wire::ClPdu& pdu);
  std::optional<Bytes> receive(int ms);
  // The next datagram that decodes as a CL PDU (others are skipped).
  std::optional<wire::ClPdu> receive_pdu(int ms);

 private:
  int fd_;
  std::uint32_t peer_address_;   // network order
  std::uint16_t peer_port_ = 0;  // network order
};

// A raw connection to an rpcfit server on 127.0.0.1:<port>, bound to the test interface as
// context 0 (a test failure if the server does not ack the bind).
RawSocket bound_socket(std::uint16_t port);

// Replies a peer script uses.
wire::CoPdu bind_ack_for(const wire::CoPdu& bind);
wire::CoPdu response_for(const wire::CoPdu& request, Bytes stub);

// Threads and open descriptors of this process (from /proc/self).
std::size_t thread_count();
std::size_t fd_count();

}  // namespace rpcfit::rpc::testing
