// ServerBook: the in-process driver's record of what the server did with each call, one
// ServerCallRecord per manager routine invocation, in the order the invocations started.
//
// Events reach it from two places on server threads: the behaviour's own events (started, polled,
// saw_cancel, finished) through the EventRecorder's listener, on the routine's thread while it
// runs; and what the runtime did with the result (response_sent, fault_sent, result_discarded)
// through the server observer, after the routine returned.
//
// Attribution: a behaviour event belongs to the invocation the calling thread is running (wrap()
// keeps it in a thread_local), so it is exact. A result carries only (call_id, opnum), and
// call_ids (datagram seqnums) repeat across connections and activities, so a result goes to the
// earliest-started invocation with that (call_id, opnum) whose routine has returned and that has
// no result yet: best effort, exact unless two such invocations wait for their results at once.
// A fault the server sends without running a routine (did-not-execute, op range) matches no
// invocation whose routine returned and is not recorded.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "drivers/runtime/server.h"
#include "harness/model/observation.h"
#include "harness/model/server_behaviour.h"

namespace rpcfit::inproc {

class ServerBook {
 public:
  // The routine that runs `inner`, recording each invocation in `book`. The routine holds the
  // book, so a routine abandoned by Server::stop may go on recording after the session is gone.
  static rpc::ManagerRoutine wrap(std::shared_ptr<ServerBook> book, rpc::ManagerRoutine inner);

  // The EventRecorder's listener.
  void on_behaviour_event(const server::BehaviourEvent& event);
  // The server observer.
  void on_server_event(const rpc::ServerEvent& event);

  std::vector<run::ServerCallRecord> records() const;
  // Until `done(records)` holds; false after `patience` (real time).
  bool wait_until(const std::function<bool(const std::vector<run::ServerCallRecord>&)>& done,
                  std::chrono::milliseconds patience) const;

 private:
  struct Invocation {
    run::ServerCallRecord record;
    bool returned = false;  // the routine returned or raised
  };
  std::size_t begin(std::uint32_t call_id, std::uint16_t opnum);
  void returned(std::size_t index);

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Invocation> calls_;
};

}  // namespace rpcfit::inproc
