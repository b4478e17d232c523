// Datagram sockets for the connectionless protocol sequences.
//
//   ncadg_ip_udp  UDP; binds loopback unless given another address. A client socket is connected
//                 to its server, so an ICMP port unreachable shows as IoStatus::closed.
//   ncadg_mq      A local message queue per endpoint: a POSIX message queue where the kernel
//                 allows one to be created (mq_open succeeds within the user's RLIMIT_MSGQUEUE
//                 and the system's queue limits), otherwise a Unix-domain datagram socket in the
//                 private run directory. Each message carries a small envelope naming the queue
//                 to reply to, as an MSMQ message carries its response queue; the two kinds
//                 interoperate, so a client on one kind talks to a server on the other.
//                 The envelope is described in mq_socket.h; it leaves 3837 bytes of each
//                 4096-byte message for the datagram. A name has one server whatever its kind:
//                 binding fails with "endpoint in use" while a socket of the name is live, and
//                 with "queue already exists" while a POSIX queue of the name exists (including
//                 one left by a crashed run, which stays until it is mq_unlink'ed; a stale socket
//                 file is removed).
//
// Captures show ncadg_mq traffic as UDP between synthesized endpoints: the server queue is
// 127.0.4.2 with a port derived from its name (as for ncacn_np, transport.h), each client queue
// 127.0.4.1 with the next port of a process-wide counter.
#pragma once

#include <memory>
#include <string>

#include "drivers/transport/protseq.h"
#include "drivers/transport/transport.h"
#include "harness/core/result.h"
#include "harness/seams/datagram.h"

namespace rpcfit::transport {

// Which kind of queue ncadg_mq sockets create for themselves (tests force each kind).
enum class MqBackend : std::uint8_t { automatic, posix, socket };

struct DatagramContext {
  TransportContext base;  // clock (required), capture, run_dir; max_fragment is not used
  MqBackend mq_backend = MqBackend::automatic;
};

struct DatagramClient {
  std::unique_ptr<DatagramSocket> socket;
  DatagramPeer server;  // where the server's socket receives
};

// A client socket for the server at host/endpoint (host: "" = 127.0.0.1, ignored for ncadg_mq;
// endpoint: a port number or a queue name). An error names what failed: a bad port, no queue
// of that name, no socket.
Result<DatagramClient, std::string> open_datagram(Protseq protseq, const std::string& host,
                                                  const std::string& endpoint,
                                                  const DatagramContext& context);

// A server socket. endpoint "" or "0": any free port (UDP) or a generated unique queue name.
// host: the address to bind for UDP ("" = 127.0.0.1). endpoint() then reports the real one.
Result<std::unique_ptr<DatagramSocket>, std::string> bind_datagram(Protseq protseq,
                                                                   const std::string& host,
                                                                   const std::string& endpoint,
                                                                   const DatagramContext& context);

}  // namespace rpcfit::transport
