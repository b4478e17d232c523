// What a client call shares with the threads that cancel it: the cancel state machine, its lock,
// and the Waker that interrupts the call thread's socket waits.
#pragma once

#include <mutex>

#include "drivers/runtime/call_cancel.h"
#include "drivers/transport/protseq.h"
#include "harness/seams/transport.h"

namespace rpcfit::rpc {

struct CallControl {
  explicit CallControl(transport::Protseq p) : protseq(p) {}
  const transport::Protseq protseq;
  std::mutex mu;
  CallCancel cancel;  // guarded by mu
  Waker waker;        // wakes the call thread after a post
};

}  // namespace rpcfit::rpc
