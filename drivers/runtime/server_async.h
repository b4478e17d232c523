// Asynchronous manager routines, as a Win32 server's async stub hands its routine a
// PRPC_ASYNC_STATE: the routine returns at once and the call is completed later, from any thread,
// with RpcAsyncCompleteCall (results) or RpcAsyncAbortCall (a fault). Until then the call's
// cancels can be tested with RpcServerTestCancel(RpcAsyncGetCallHandle(call)).
//
// The server thread that ran the routine (the connection's, or the datagram call's worker) waits
// for the completion, so the server runtime around it is unchanged; the routine's own threads do
// the work.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "drivers/runtime/server.h"

namespace rpcfit::rpc {

class AsyncServerCall {
 public:
  explicit AsyncServerCall(ServerCall& call) : call_(&call) {}

  // Completes the call with `reply`: RPC_S_OK, or RPC_S_INVALID_ASYNC_CALL when it was completed
  // or aborted already, or ended with the server's stop.
  RpcStatus complete(Bytes reply);
  // Ends the call with a fault for `status` (RPC_S_CALL_CANCELLED: nca_s_fault_cancel).
  RpcStatus abort(RpcStatus status);
  // RpcServerTestCancel on this call: RPC_S_OK, RPC_S_CALL_IN_PROGRESS, or RPC_S_NO_CALL_ACTIVE
  // once the call has ended.
  RpcStatus test_cancel();

  // ---- for the waiting server thread ----
  // The reply, or raises the abort status; nullopt when the server stopped first.
  std::optional<Bytes> wait();
  ServerCall* binding();  // null once the call has ended

 private:
  RpcStatus finish(std::optional<Bytes> reply, RpcStatus status);

  std::mutex mu_;
  ServerCall* call_;  // guarded by mu_; null once the waiting thread has left
  std::atomic<bool> done_{false};
  std::optional<Bytes> reply_;  // guarded by mu_
  RpcStatus status_ = status::kOk;
};

using AsyncManagerRoutine =
    std::function<void(std::shared_ptr<AsyncServerCall> call, ByteView input)>;

// A ManagerRoutine for InterfaceRegistration::routines that runs `routine` asynchronously.
ManagerRoutine async_manager(AsyncManagerRoutine routine);

// The Win32 names.
RpcStatus RpcAsyncCompleteCall(AsyncServerCall& call, Bytes reply);
RpcStatus RpcAsyncAbortCall(AsyncServerCall& call, RpcStatus status);
// The call's binding handle for RpcServerTestCancel, valid until the call ends; null after.
BindingHandle* RpcAsyncGetCallHandle(AsyncServerCall& call);

}  // namespace rpcfit::rpc
