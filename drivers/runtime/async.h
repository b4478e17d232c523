// Asynchronous client calls (spec section 7), shaped as the Win32 API: an RpcAsyncState (the
// RPC_ASYNC_STATE) initialized by RpcAsyncInitializeHandle, a call begun by Binding::call_async
// (what a MIDL async stub does), completion notified through an event or a callback,
// RpcAsyncCompleteCall for the result, and RpcAsyncCancelCall.
//
// The call runs on a thread of its own under a CallControl that no client thread owns, so
// RpcCancelThreadEx, which finds calls through their thread, never reaches it (CS-ASYNC-1). It
// speaks every protocol sequence, and RpcAsyncCancelCall cancels it on every one: CS-PS-1 is a
// rule of RpcCancelThreadEx (decision, README).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "drivers/runtime/client.h"

namespace rpcfit::rpc {

// A manual-reset event, as the Win32 event handle an RPC_ASYNC_STATE names.
class RpcEvent {
 public:
  void set();
  void reset();
  bool is_set() const;
  // Waits up to `timeout` (real time) for the event; whether it is set.
  bool wait_for(std::chrono::nanoseconds timeout) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool set_ = false;
};

enum class RpcNotification : std::uint8_t { none, event, callback };

class AsyncCall;

struct RpcAsyncState {
  RpcNotification notification = RpcNotification::none;
  RpcEvent* event = nullptr;  // set when the call completes (notification event)
  // Called once when the call completes (notification callback), on the call's thread; it may
  // call RpcAsyncCompleteCall.
  std::function<void(RpcAsyncState&)> callback;
  void* user_info = nullptr;  // the caller's, untouched

  // The runtime's (RuntimeInfo and Signature); set by RpcAsyncInitializeHandle and call_async.
  std::uint32_t signature = 0;
  std::shared_ptr<AsyncCall> runtime_info;
};

// Prepares `state` for a call: RPC_S_OK, or RPC_S_INVALID_ARG for a null state. A state whose
// call is outstanding is not reinitialized: RPC_S_INVALID_ASYNC_HANDLE.
RpcStatus RpcAsyncInitializeHandle(RpcAsyncState* state);
// RPC_S_ASYNC_CALL_PENDING while the call runs; afterwards what RpcAsyncCompleteCall will return.
// RPC_S_INVALID_ASYNC_HANDLE when no call was begun on `state`.
RpcStatus RpcAsyncGetCallStatus(const RpcAsyncState* state);
// Once the call has completed: its status (RPC_S_OK with the results in `reply`, which may be
// null, or the status the synchronous call would have raised) and the state is free for another
// call. RPC_S_ASYNC_CALL_PENDING while it runs (nothing changes); RPC_S_INVALID_ASYNC_HANDLE when
// no call is outstanding on `state`.
RpcStatus RpcAsyncCompleteCall(RpcAsyncState* state, Bytes* reply);
// Cancels the outstanding call on `state`: abortive (CS-AS-1) forwards the cancel, orphans the
// call at once and completes it with RPC_S_CALL_CANCELLED; non-abortive (CS-AS-2) forwards the
// cancel and lets the call wait for the server with no timeout. RPC_S_OK, also for a call that
// has completed but not yet been completed by RpcAsyncCompleteCall (nothing happens then);
// RPC_S_INVALID_ASYNC_HANDLE when no call is outstanding (CS-AS-3).
RpcStatus RpcAsyncCancelCall(RpcAsyncState* state, bool abortive);

}  // namespace rpcfit::rpc
