// A datagram server's executing call and the threads of its endpoint. Threads take turns
// (leader/followers): one receives at a time, and when a datagram completes a call, that thread
// runs the manager routine itself, so a call costs no thread start and no wake-up of another
// thread. Meanwhile a follower watches: it takes over receiving as soon as the routine looks at
// its cancels (ServerCall), or after a grace of 1 ms of a routine that does not, so pings and
// cancels are answered while any routine runs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "drivers/runtime/server_core.h"
#include "harness/wire/pdu.h"

namespace rpcfit::rpc {

class DgEndpoint;

// One executing call: its routine runs on an endpoint thread; the receiving thread posts the
// cl_cancel PDUs that arrive for it.
class DgCall final : public ServerCallHost, public std::enable_shared_from_this<DgCall> {
 public:
  DgCall(std::shared_ptr<DgEndpoint> endpoint, wire::ClPdu request, ManagerRoutine routine,
         int early_cancels)
      : endpoint_(std::move(endpoint)),
        request_(std::move(request)),
        routine_(std::move(routine)),
        cancels_(early_cancels) {}

  // Runs the routine, on the receiving thread in its `turn`, and hands its outcome to the
  // endpoint (DgEndpoint::complete).
  void run(std::uint64_t turn);
  // Cancels posted that the routine's ServerCall has not been told of.
  bool undelivered();
  void post_cancel();
  // From stop(): wakes a routine waiting through its ServerCall.
  void interrupt();

  void read_during_call(ServerCall& call, const std::optional<Deadline>& wait) override;
  Server::Core& core() const override;
  transport::Protseq protseq() const override;

  const wire::ClPdu& request() const { return request_; }

 private:
  // Notes the cancels posted on `call`, waiting for one as read_during_call does.
  void collect(ServerCall& call, const std::optional<Deadline>& wait);

  std::shared_ptr<DgEndpoint> endpoint_;
  const wire::ClPdu request_;
  const ManagerRoutine routine_;
  std::mutex mu_;
  std::condition_variable cv_;
  int cancels_ = 0;    // cl_cancel PDUs for the call; guarded by mu_
  int delivered_ = 0;  // of those, noted on the ServerCall; guarded by mu_
  std::atomic<std::uint64_t> turn_{0};
  std::atomic<bool> handed_over_{false};
};

// One thread of a datagram endpoint, as the server's stop() sees it: interrupt() wakes it whether
// it waits to receive or runs a call's routine.
class DgThread final : public ServerWorker {
 public:
  explicit DgThread(std::shared_ptr<DgEndpoint> endpoint) : endpoint_(std::move(endpoint)) {}
  void run();  // the thread's body: DgEndpoint::serve
  void interrupt() override;
  void abandon() override;
  // The call whose routine the thread runs now, for interrupt().
  void set_current(std::shared_ptr<DgCall> call);

 private:
  std::shared_ptr<DgEndpoint> endpoint_;
  std::mutex mu_;
  std::shared_ptr<DgCall> current_;  // guarded by mu_
};

}  // namespace rpcfit::rpc
