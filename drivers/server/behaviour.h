// Server behaviours played: the manager routine for a BehaviourSpec (harness/seams/
// server_behaviour.h), recording its events in an EventRecorder for expectations to check.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/runtime/server.h"
#include "harness/model/server_behaviour.h"

namespace rpcfit::server {

// Thread-safe record of the events of every call a server ran. Waits take real time.
class EventRecorder {
 public:
  void record(const BehaviourEvent& event);
  std::vector<BehaviourEvent> events() const;
  std::vector<BehaviourEvent> events_of(std::uint32_t call_id) const;
  int count(EventKind kind) const;
  // Until `n` events of `kind` were recorded; false after `patience`.
  bool wait_for(EventKind kind, int n, std::chrono::milliseconds patience) const;
  // Records the runtime's result_discarded; chain it into ServerOptions::observer.
  void on_server_event(const rpc::ServerEvent& event);
  // Also hands each event, on the thread that records it (the routine's), to `listener`. Set it
  // before any call runs.
  void set_listener(std::function<void(const BehaviourEvent&)> listener);

 private:
  int count_locked(EventKind kind) const;  // mu_ held

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<BehaviourEvent> events_;
  std::function<void(const BehaviourEvent&)> listener_;
};

// The manager routine playing `spec`, recording into `recorder`.
rpc::ManagerRoutine make_routine(const BehaviourSpec& spec,
                                 std::shared_ptr<EventRecorder> recorder);

}  // namespace rpcfit::server
