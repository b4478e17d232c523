// The server side: interfaces with manager routines by opnum, listening on protocol sequences,
// the server half of cancellation (spec section 6), and a clean stop.
//
// Each connection has one thread, which reads PDUs and runs each call's manager routine itself.
// While a routine runs, PDUs that arrive for the connection (co_cancel, orphaned) are read when
// the routine asks: through RpcTestCancel / RpcServerTestCancel or the ServerCall waits. So a
// null call costs no thread hand-off, and a routine that never asks still has its cancels counted
// when it returns (CS-SRV-4).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "drivers/runtime/rpc.h"
#include "drivers/runtime/runtime.h"
#include "drivers/runtime/server_cancel.h"
#include "drivers/transport/protseq.h"
#include "harness/core/bytes.h"
#include "harness/core/result.h"
#include "harness/wire/fragment.h"
#include "harness/wire/pdu.h"

namespace rpcfit::rpc {

class ServerCall;
class ServerCallHost;

// A manager routine: NDR-encoded input to output. It ends the call with a fault by raising
// (RpcRaiseException): RPC_S_CALL_CANCELLED sends nca_s_fault_cancel, RPC_S_ACCESS_DENIED status 5;
// any other exception sends nca_s_fault_unspec.
using ManagerRoutine = std::function<Bytes(ServerCall& call, ByteView input)>;

// Thrown by a manager routine to make the server fail as a crashing one does (a fault driver's
// `crash` behaviour): the connection is dropped with `after_bytes` bytes of the response holding
// `output` written first (0: no reply at all). A datagram server sends the first `after_bytes`
// bytes of the reply's first datagram, if any, and is silent for the activity from then on.
struct ServerCrash {
  Bytes output;
  std::size_t after_bytes = 0;
};

struct InterfaceRegistration {
  wire::SyntaxId id;  // UUID and version (major in the low 16 bits, minor in the high 16)
  std::map<std::uint16_t, ManagerRoutine> routines;
};

// What the server runtime saw and did, for observers (scenario expectations, tests).
enum class ServerEventKind : std::uint8_t {
  call_started,      // the manager routine was entered
  cancel_arrived,    // a co_cancel or a first fragment with PFC_PENDING_CANCEL
  orphaned_arrived,  // an orphaned PDU
  call_finished,     // the manager routine returned or raised
  response_sent,
  fault_sent,
  result_discarded,  // the call was orphaned or its connection lost: nothing is sent (CS-SRV-5)
};
struct ServerEvent {
  ServerEventKind kind = ServerEventKind::call_started;
  Duration at{};
  std::uint32_t call_id = 0;
  std::uint16_t opnum = 0;
  std::uint32_t fault_status = 0;  // for fault_sent
};
std::string_view server_event_name(ServerEventKind kind);

struct ServerOptions {
  std::uint16_t max_frag = 5840;  // our max_recv_frag and upper bound on max_xmit_frag
  // Reassembled request size, and calls in reassembly per connection: one, since the server never
  // offers PFC_CONC_MPX.
  wire::CallLimits limits{4u << 20, 1};
  // Threads serving at once: connections (more are closed as they are accepted) and datagram
  // endpoint threads (a call that would need one more is rejected with nca_s_server_too_busy).
  std::size_t max_connections = 256;
  // Bytes of request fragments a datagram endpoint holds for reassembly, all clients together
  // (each fragment costs its body and header); a call beyond is rejected as too busy.
  std::size_t datagram_buffer = std::size_t{64} << 20;
  // The runtime behaves as spec section 9 records of Windows and Samba servers: co_cancel and
  // orphaned PDUs are ignored, and a first fragment carrying PFC_PENDING_CANCEL is answered with a
  // fault 0x6BD (FIRST|LAST|DID_NOT_EXECUTE), after which the connection is closed. A datagram
  // endpoint ignores cl_cancel PDUs (no cancel_ack). Routines never learn of a cancel.
  bool cancel_deaf = false;
  // Called on the connection threads; must be thread-safe.
  std::function<void(const ServerEvent&)> observer;
};

class Server {
 public:
  explicit Server(Runtime& runtime, ServerOptions options = {});
  ~Server();  // stop(seconds(5))
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Adds or replaces an interface; allowed while listening.
  void register_interface(InterfaceRegistration registration);

  // Starts listening. endpoint "" or "0": any free port or a generated name. host: the address
  // to bind for TCP-based sequences ("" = 127.0.0.1, loopback only). Returns the endpoint clients
  // use (port number or pipe / endpoint name), or why it failed.
  Result<std::string, std::string> listen(transport::Protseq protseq,
                                          const std::string& endpoint = "",
                                          const std::string& host = "");

  // Stops listening, wakes every connection and every manager routine waiting through
  // ServerCall, and waits up to `bound` (scenario time) for calls in flight to finish. Routines
  // still running then are abandoned: they run on detached, their results discarded. Returns how
  // many were abandoned. Idempotent. Not from a manager routine: it would wait for itself.
  std::size_t stop(Duration bound);

  // Connections open and datagram calls running now (for tests that count leaks).
  std::size_t open_connections() const;

  struct Core;

 private:
  Result<std::string, std::string> listen_datagram(transport::Protseq protseq,
                                                   const std::string& endpoint,
                                                   const std::string& host);
  std::shared_ptr<Core> core_;
};

// The binding handle of a call in progress on the server, handed to its manager routine. Valid
// until the routine returns.
class ServerCall : public BindingHandle {
 public:
  ServerCall(std::shared_ptr<ServerCallHost> host, std::uint32_t call_id, std::uint16_t opnum,
             bool cancelled_on_arrival);
  ~ServerCall() override;

  // RpcTestCancel for this call (CS-SRV-1): RPC_S_OK once a cancel has arrived, else
  // RPC_S_NOT_CANCELLED.
  RpcStatus test_cancel();
  // Waits up to `timeout` (scenario time) for a cancel; true when one arrived. Returns false early
  // when the server stops.
  bool wait_for_cancel(Duration timeout);
  // Waits `d` regardless of cancels; false when cut short by the server stopping.
  bool sleep_for(Duration d);
  // Waits until `done()` holds or the server stops; `done` is checked again at each
  // wake_waiters(). Returns done().
  bool wait_until(const std::function<bool()>& done);
  void wake_waiters();
  bool stopping() const;

  std::uint32_t call_id() const { return call_id_; }
  std::uint16_t opnum() const { return opnum_; }
  transport::Protseq protseq() const;
  Clock& clock() const;

  // ---- used by the connection ----
  // Transitions in server_cancel.h.
  struct State {
    bool active = true;  // until end()
    ServerCancel cancel = ServerCancel::none;
    int cancel_count = 0;  // co_cancel (or cl_cancel) PDUs received

    bool cancelled() const { return is_cancelled(cancel); }  // a cancel arrived (CS-SRV-1)
    // The routine learned of it (CS-SRV-4).
    bool observed() const { return is_observed(cancel); }
    // An orphaned PDU arrived or the connection was lost (CS-SRV-5).
    bool orphaned() const { return is_orphaned(cancel); }
  };
  State snapshot() const;
  void note_cancel(bool orphaned);
  void note_connection_lost();
  void end();

 private:
  std::shared_ptr<ServerCallHost> host_;
  std::uint32_t call_id_;
  std::uint16_t opnum_;
  mutable std::mutex mu_;
  State state_;
};

// RpcTestCancel (CS-SRV-1): for the calling manager routine's call; RPC_S_NO_CALL_ACTIVE outside
// one.
RpcStatus RpcTestCancel();
// RpcServerTestCancel (CS-SRV-2): RPC_S_OK, RPC_S_CALL_IN_PROGRESS, RPC_S_NO_CALL_ACTIVE or
// RPC_S_INVALID_BINDING; null means the calling routine's call.
RpcStatus RpcServerTestCancel(BindingHandle* binding);

}  // namespace rpcfit::rpc
