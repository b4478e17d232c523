// The life of an asynchronous client call (AsyncCall in async.cc, under its mu_), as pure
// transitions; tested with plain values. Its cancels are not transitions of this state: they go
// to the call's CallCancel (call_cancel.h, under its CallControl's mu), which finishes before
// the call completes, so a cancel reaches only a call still pending.
#pragma once

#include <cstdint>

namespace rpcfit::rpc {

// clang-format off
// Transitions (state, event -> state: effect [rule]):
//   pending    cancel, abortive      -> pending    a cancel with T = 0 posted to the CallCancel,
//                                                  which forwards it and orphans the call at once:
//                                                  it completes with RPC_S_CALL_CANCELLED [CS-AS-1]
//   pending    cancel, non-abortive  -> pending    T = -1: forwarded; the call waits for the
//                                                  server, which decides how it ends [CS-AS-2]
//   pending    cancel, either        -> pending    after the call's thread finished the
//                                                  CallCancel, just before completing: nothing
//   pending    end(status, reply)    -> completed  the outcome kept; then the event is set or
//                                                  the callback called, on the call's thread
//   pending    take()                -> pending    RPC_S_ASYNC_CALL_PENDING; nothing changes
//   completed  cancel, either        -> completed  nothing; RpcAsyncCancelCall answers RPC_S_OK
//   completed  take()                -> taken      the status and the reply handed out; the
//                                                  call's thread joined (detached if it is the
//                                                  caller); RpcAsyncCompleteCall forgets the call
//   taken      take()                -> taken      the status again, the reply already gone: only
//                                                  for two threads completing one RpcAsyncState
//                                                  at once, since the state forgets a taken call
//   taken      via the RpcAsyncState -> taken      status, complete, cancel: the state names no
//                                                  call, RPC_S_INVALID_ASYNC_HANDLE [CS-AS-3]
//   completed  end(status, reply)    -> completed  cannot happen: the call's thread ends it once
//   taken      end(status, reply)    -> taken      likewise
// RpcAsyncGetCallStatus answers RPC_S_ASYNC_CALL_PENDING while pending, then the outcome.
// clang-format on
enum class AsyncPhase : std::uint8_t { pending, completed, taken };

AsyncPhase on_end(AsyncPhase p);
// Whether the outcome is there to take.
bool on_take(AsyncPhase& p);
bool has_outcome(AsyncPhase p);

}  // namespace rpcfit::rpc
