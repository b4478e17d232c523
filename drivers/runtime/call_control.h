// What a client call shares with the threads that cancel it: the cancel state machine, its lock,
// the Waker that interrupts the call thread's socket waits, and the call's connection once its
// request is queued, so a cancelling thread can put co_cancel on the wire itself.
//
// Locks: CallControl::mu, then send_mu. The call thread takes send_mu to queue and flush, and
// may take mu while holding it; a cancelling thread holds mu and only ever *tries* send_mu, so
// the two cannot deadlock.
#pragma once

#include <mutex>

#include "drivers/runtime/call_cancel.h"
#include "drivers/transport/protseq.h"
#include "harness/seams/transport.h"

namespace rpcfit::rpc {

struct CallControl {
  std::mutex mu;
  transport::Protseq protseq{};    // guarded by mu
  CallCancel cancel;               // guarded by mu
  bool woken = false;              // a wake may be outstanding; guarded by mu
  StreamConnection* io = nullptr;  // the call's connection after its request; guarded by mu
  // The call's co_cancel PDU, encoded once with the request; written by the call thread under mu.
  Bytes co_cancel;
  std::mutex send_mu;  // whoever queues on or flushes io holds it
  Waker waker;
};

// After a post at `now` (with mu held): sends the co_cancel PDUs owed right away when the call's
// send side is free, without waiting, unless the call is already due to be orphaned (T = 0):
// the call thread then takes any reply that came before the cancel and only then sends the
// co_cancel and the orphaned PDU, so that no reply the co_cancel itself drew from the server can
// win (CS-TMO-3, CS-AS-1). Returns whether the call thread must still be woken: to send them
// itself, or to arm a finite timeout.
bool forward_cancel_now(CallControl& call, Duration now);

// Posts a cancel with `timeout` (seconds, -1 infinite) to the call, with mu held: forwards it
// at once where it can, else marks the call woken. Returns false when the call has ended (or been
// orphaned) and took no cancel; sets `wake` when the caller must call waker.wake() once it has
// released its locks.
bool post_cancel_locked(CallControl& call, Duration now, long timeout, bool& wake);

}  // namespace rpcfit::rpc
