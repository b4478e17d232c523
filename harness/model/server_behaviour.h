// What a scenario's server plays, as data: which manager routine a scenario's server runs for a
// call, with its parameters, and the timestamped events the routine records for expectations to
// check. drivers/server plays them (behaviour.h); the scenario loader reads them from files. They
// keep the namespace of the drivers that play them, so both sides spell them alike.
//
//   normal        answers at once: the input echoed, or `response_size` bytes 00 01 .. ff 00 ..
//   slow          answers after `delay`, ignoring cancels
//   hung          never answers by itself: waits until the server stops, ignoring cancels
//   cancel_aware  polls RpcTestCancel every `poll_period`; on a cancel it cleans up for `cleanup`
//                 and raises the cancel (fault nca_s_fault_cancel) or returns normally; without a
//                 cancel it answers after `run_for` (none: only the server stopping ends it)
//   deny          faults with status 5, RPC_S_ACCESS_DENIED at the client (CS-SRV-7)
//   crash         after `delay`, drops the call's connection with `crash_after_bytes` bytes of its
//                 response written first
// The cancel-deaf server is the server runtime's (ServerOptions::cancel_deaf), not a routine's.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "harness/core/bytes.h"
#include "harness/core/clock.h"
#include "harness/core/status.h"

namespace rpcfit::server {

enum class BehaviourKind : std::uint8_t { normal, slow, hung, cancel_aware, deny, crash };

// Names as scenario files spell them.
inline constexpr std::array<std::pair<BehaviourKind, std::string_view>, 6> kBehaviourNames{{
    {BehaviourKind::normal, "normal"},
    {BehaviourKind::slow, "slow"},
    {BehaviourKind::hung, "hung"},
    {BehaviourKind::cancel_aware, "cancel-aware"},
    {BehaviourKind::deny, "deny"},
    {BehaviourKind::crash, "crash"},
}};

inline std::string_view behaviour_name(BehaviourKind kind) {
  for (const auto& [k, name] : kBehaviourNames) {
    if (k == kind) return name;
  }
  return "?";
}

inline std::optional<BehaviourKind> parse_behaviour(std::string_view name) {
  for (const auto& [kind, known] : kBehaviourNames) {
    if (known == name) return kind;
  }
  return std::nullopt;
}

enum class OnCancel : std::uint8_t { raise, return_normally };
// How a cancel-aware routine asks: RpcTestCancel() (CS-SRV-1), or RpcServerTestCancel on its own
// call (a null binding, CS-SRV-2), which answers RPC_S_CALL_IN_PROGRESS before a cancel.
enum class PollWith : std::uint8_t { test_cancel, server_test_cancel };

struct BehaviourSpec {
  BehaviourKind kind = BehaviourKind::normal;
  std::optional<std::size_t> response_size;  // normal: instead of the echo
  Duration delay{};                          // slow; crash: before dropping
  Duration poll_period = std::chrono::milliseconds(10);
  Duration cleanup{};
  OnCancel on_cancel = OnCancel::raise;
  PollWith poll_with = PollWith::test_cancel;  // cancel_aware
  std::optional<Duration> run_for;             // cancel_aware without a cancel
  std::size_t crash_after_bytes = 0;
};

// The test interface's answer to `input` of a routine playing `spec` that answers: its input
// echoed, or for a normal routine with `response_size`, that many counting bytes (core/bytes.h).
Bytes answer_to(const BehaviourSpec& spec, ByteView input);

// What a behaviour saw, as its routine recorded it, and what the runtime did with the result.
enum class EventKind : std::uint8_t {
  started,           // the routine was entered
  polled,            // RpcTestCancel returned `status`
  saw_cancel,        // the routine learned of a cancel
  finished,          // the routine returned (`status` RPC_S_OK) or raised (`status`)
  result_discarded,  // the runtime sent no result: orphaned call, lost connection, crash
};

inline std::string_view event_name(EventKind kind) {
  switch (kind) {
    case EventKind::started:
      return "started";
    case EventKind::polled:
      return "polled";
    case EventKind::saw_cancel:
      return "saw_cancel";
    case EventKind::finished:
      return "finished";
    case EventKind::result_discarded:
      return "result_discarded";
  }
  return "?";
}

struct BehaviourEvent {
  EventKind kind = EventKind::started;
  Duration at{};  // scenario time
  std::uint32_t call_id = 0;
  std::uint16_t opnum = 0;
  RpcStatus status = status::kOk;
};

}  // namespace rpcfit::server
