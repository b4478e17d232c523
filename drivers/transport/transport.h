// Connecting and listening on the connection-oriented protocol sequences.
//
//   ncacn_ip_tcp  TCP; binds loopback unless given another address.
//   ncacn_http    TCP; on accept the server first sends the RPC-over-HTTP v1 banner
//                 "ncacn_http/1.0", which the client reads before its first PDU. The banner is not
//                 a PDU and is not teed to the capture sink.
//   ncacn_np      Unix-domain stream socket <run_dir>/np-<pipe name>
//   ncalrpc       Unix-domain stream socket <run_dir>/lrpc-<endpoint>
//
// Captures of Unix-socket connections use synthesized TCP endpoints that name the protocol
// sequence: ncacn_np is 127.0.2.1 (client) -> 127.0.2.2 (server), ncalrpc is 127.0.3.1 ->
// 127.0.3.2; the server port is derived from the endpoint name (49152 + FNV-1a(name) % 16384) and
// each connection gets the next client port of a process-wide counter (from 50000).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "drivers/transport/protseq.h"
#include "harness/core/clock.h"
#include "harness/core/result.h"
#include "harness/seams/capture_sink.h"
#include "harness/seams/transport.h"

namespace rpcfit::transport {

struct TransportContext {
  Clock* clock = nullptr;            // required
  CaptureSink* capture = nullptr;    // optional
  std::filesystem::path run_dir;     // Unix sockets live here; empty: default_run_dir()
  std::size_t max_fragment = 65535;  // receive frames longer than this fail the connection
};

// ${RPCFIT_RUN_DIR}, else ${XDG_RUNTIME_DIR}/rpcfit, else /tmp/rpcfit-<uid>.
std::filesystem::path default_run_dir();
// Creates `dir` with mode 0700 if missing; an error unless it is a directory owned by this user
// with no group or other permissions.
Result<std::filesystem::path, std::string> ensure_private_dir(const std::filesystem::path& dir);

// host: an IPv4/IPv6 literal or name for TCP-based sequences ("" = 127.0.0.1); ignored for
// Unix-socket ones. endpoint: port number, pipe name ("\\pipe\\x" or "\pipe\x"), or ncalrpc name.
// Failure: IoResult with status failed (connection refused, no such socket) or timed_out.
Result<std::unique_ptr<StreamConnection>, IoResult> connect(Protseq protseq,
                                                            const std::string& host,
                                                            const std::string& endpoint,
                                                            const TransportContext& context,
                                                            const Deadline& deadline);

// endpoint: "" or "0" = any free port (TCP) or a generated unique name (Unix). host: address to
// bind for TCP-based sequences ("" = 127.0.0.1).
Result<std::unique_ptr<StreamListener>, std::string> listen(Protseq protseq,
                                                            const std::string& host,
                                                            const std::string& endpoint,
                                                            const TransportContext& context);

}  // namespace rpcfit::transport
