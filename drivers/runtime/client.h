// Client bindings: RpcBindingFromStringBinding, and synchronous calls that raise RpcException on
// failure as a MIDL stub does. A binding owns one association: a pool of connections to the
// server, each bound to one interface, reused across calls and replaced after a failure. A call
// holds one connection for its duration, so concurrent calls on one binding use several.
#pragma once

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "drivers/runtime/rpc.h"
#include "drivers/runtime/runtime.h"
#include "drivers/runtime/string_binding.h"
#include "harness/core/bytes.h"
#include "harness/core/result.h"
#include "harness/wire/pdu.h"

namespace rpcfit::rpc {

struct BindingOptions {
  // Connect plus bind must finish within this (scenario time); otherwise the call raises
  // RPC_S_SERVER_UNAVAILABLE. A cancel posted meanwhile with a finite timeout bounds it too.
  Duration setup_timeout = seconds(30);
  // Offered as max_xmit_frag and max_recv_frag in bind.
  std::uint16_t max_frag = 5840;
  // Idle connections kept for reuse (and idle activities of datagram bindings).
  std::size_t max_idle = 16;

  // Datagram calls (ncadg_*). A request or cl_cancel nobody acknowledged is sent again after
  // dg_retransmit, the wait doubling up to dg_max_retransmit; once the server has the request,
  // the client pings it after dg_ping, doubling likewise, and the server answers working.
  Duration dg_retransmit = std::chrono::milliseconds(250);
  Duration dg_ping = seconds(1);
  Duration dg_max_retransmit = seconds(4);
  // Nothing heard from the server for this long fails the call with RPC_S_COMM_FAILURE.
  Duration dg_comm_timeout = seconds(30);
};

struct ClientConnection;
struct CallControl;
struct DgActivity;

struct RpcAsyncState;

class Binding : public BindingHandle, public std::enable_shared_from_this<Binding> {
 public:
  // RpcBindingFromStringBinding. RPC_S_PROTSEQ_NOT_SUPPORTED or RPC_S_INVALID_BINDING; a binding
  // with no endpoint is RPC_S_INVALID_BINDING too (this runtime has no endpoint mapper).
  static Result<std::shared_ptr<Binding>, RpcStatus> from_string(Runtime& runtime,
                                                                 std::string_view text,
                                                                 BindingOptions options = {});
  ~Binding() override;

  // One synchronous call of `opnum` on interface `iface` with NDR-encoded `input`; returns the
  // response stub bytes or raises RpcException.
  Bytes call(const wire::SyntaxId& iface, std::uint16_t opnum, ByteView input);

  // Begins the same call asynchronously on `state` (async.h), as a MIDL async stub does, and
  // returns at once: RPC_S_OK, or RPC_S_INVALID_ASYNC_HANDLE when `state` was not initialized by
  // RpcAsyncInitializeHandle or has a call outstanding. The binding is kept alive by the call.
  RpcStatus call_async(RpcAsyncState& state, const wire::SyntaxId& iface, std::uint16_t opnum,
                       ByteView input);

  const StringBinding& string_binding() const { return target_; }
  Runtime& runtime() const { return runtime_; }
  // Connections idle in the association now.
  std::size_t idle_connections() const;
  // Connections opened so far (a rebuilt association opens new ones).
  std::size_t connections_opened() const;

 private:
  Binding(Runtime& runtime, StringBinding target, BindingOptions options);
  std::unique_ptr<ClientConnection> acquire(const wire::SyntaxId& iface, CallControl& control);
  std::unique_ptr<ClientConnection> open_connection(const wire::SyntaxId& iface,
                                                    CallControl& control);
  std::pair<Deadline, bool> setup_limit(Duration limit, CallControl& control) const;
  void release(std::unique_ptr<ClientConnection> connection);
  std::uint32_t next_call_id();
  // Datagram bindings: an activity (a socket, an activity UUID and its sequence numbers) per
  // call, reused by later calls; RPC_S_SERVER_UNAVAILABLE when no socket can be opened.
  // The call's protocol, on the calling thread, under `control`.
  Bytes run_call(CallControl& control, const wire::SyntaxId& iface, std::uint16_t opnum,
                 ByteView input, bool& leave_pending);
  std::unique_ptr<DgActivity> acquire_activity();
  Bytes call_datagram(const wire::SyntaxId& iface, std::uint16_t opnum, ByteView input,
                      CallControl& control, bool& leave_pending);
  void release_activity(std::unique_ptr<DgActivity> activity);

  Runtime& runtime_;
  StringBinding target_;
  BindingOptions options_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<ClientConnection>> idle_;
  std::vector<std::unique_ptr<DgActivity>> idle_activities_;
  std::uint32_t assoc_group_id_ = 0;
  std::uint32_t next_call_id_ = 1;
  std::size_t opened_ = 0;

  friend class ClientCall;
  friend class DgClientCall;
  friend class AsyncCall;
};

}  // namespace rpcfit::rpc
