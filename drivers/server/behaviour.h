// Server behaviours: the manager routine a scenario's server runs for a call, with the parameters
// the scenario gives, and the timestamped events it records for expectations to check. The
// cancel-deaf behaviour is the server runtime's (ServerOptions::cancel_deaf), not a routine's.
//
//   normal        answers at once: the input echoed, or `response_size` bytes 00 01 .. ff 00 ..
//   slow          answers after `delay`, ignoring cancels
//   hung          never answers by itself: waits until the server stops, ignoring cancels
//   cancel_aware  polls RpcTestCancel every `poll_period`; on a cancel it cleans up for `cleanup`
//                 and raises the cancel (fault nca_s_fault_cancel) or returns normally; without a
//                 cancel it answers after `run_for` (none: only the server stopping ends it)
//   deny          faults with status 5, RPC_S_ACCESS_DENIED at the client (CS-SRV-7)
//   crash         after `delay`, drops the call's connection (ServerCrash) with `crash_after_bytes`
//                 bytes of its response written first
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

namespace rpcfit::server {

enum class BehaviourKind : std::uint8_t { normal, slow, hung, cancel_aware, deny, crash };
std::string_view behaviour_name(BehaviourKind kind);
std::optional<BehaviourKind> parse_behaviour(std::string_view name);

enum class OnCancel : std::uint8_t { raise, return_normally };

struct BehaviourSpec {
  BehaviourKind kind = BehaviourKind::normal;
  std::optional<std::size_t> response_size;  // normal: instead of the echo
  Duration delay{};                          // slow; crash: before dropping
  Duration poll_period = std::chrono::milliseconds(10);
  Duration cleanup{};
  OnCancel on_cancel = OnCancel::raise;
  std::optional<Duration> run_for;  // cancel_aware without a cancel
  std::size_t crash_after_bytes = 0;
};

// What a behaviour saw, as its routine recorded it, and what the runtime did with the result.
enum class EventKind : std::uint8_t {
  started,           // the routine was entered
  polled,            // RpcTestCancel returned `status`
  saw_cancel,        // the routine learned of a cancel
  finished,          // the routine returned (`status` RPC_S_OK) or raised (`status`)
  result_discarded,  // the runtime sent no result: orphaned call, lost connection, crash
};
std::string_view event_name(EventKind kind);

struct BehaviourEvent {
  EventKind kind = EventKind::started;
  Duration at{};  // scenario time
  std::uint32_t call_id = 0;
  std::uint16_t opnum = 0;
  RpcStatus status = status::kOk;
};

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

// Bytes 00 01 .. ff 00 .. of the given length (normal's response_size, `rpcfit call --in-bytes`).
Bytes counting_bytes(std::size_t size);

}  // namespace rpcfit::server
