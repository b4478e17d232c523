// A RuntimeDriver for the runner's own tests: no sockets, calls played by opnum on the run's
// clock, so verdicts, the watchdog and the thread handling can be checked exactly.
//   opnum 0  returns at once with its input (a server call started, finished, response)
//   opnum 1  runs until cancelled, then ends RPC_S_CALL_CANCELLED when the cancel's timeout has
//            passed (never with an infinite one), or RPC_S_CALL_FAILED when the session shuts down
//   opnum 2  runs until the test calls release(), shutdown or not (a call nothing can end)
// Handles: a handle without THREAD_SET_CONTEXT (0x10) gets RPC_S_ACCESS_DENIED, an unknown one
// RPC_S_INVALID_ARG. Asynchronous calls: opnum 0 completes at once, others on cancel_async or
// shutdown. With wrong_answers, opnum 0 answers the wrong bytes. With cancel_blocks,
// RpcCancelThreadEx does not return until release() (a runtime that breaks CS-RET-1).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "harness/seams/runtime_driver.h"

namespace rpcfit::run::testing {

class FakeDriver : public RuntimeDriver {
 public:
  std::string name() const override { return "fake"; }
  Result<std::unique_ptr<DriverSession>, SessionError> open(const SessionSetup& setup) override;

  // open() fails with this, when set.
  std::optional<SessionError> refuse;
  // Sessions opened from now on block in cancel_thread_ex until release().
  bool cancel_blocks = false;
  // Sessions opened from now on take this long (real time) in cancel_thread_ex: a slow API.
  std::chrono::milliseconds cancel_takes{0};
  // The next this many sessions answer opnum 0 with their input's bytes inverted (a broken stub).
  int wrong_answers = 0;
  // Ends every opnum 2 call.
  void release();
  // Sessions opened so far.
  int opened() const;

  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    bool released = false;
    int opened = 0;
  };

 private:
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

}  // namespace rpcfit::run::testing
