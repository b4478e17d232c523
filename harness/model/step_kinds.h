// The kinds of step a scenario's timeline has, each described once: its name and keys in scenario
// files, the API it calls, where it runs, what it names and what it returns. The loader
// (scenarios/load_steps.cc), the runner (harness/run/playback.cc), the checks and the reports read
// this table; a new step kind is one row here, its reader in load_steps.cc, and what it does in
// playback.cc (harness/README.md, "How to add a step kind").
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace rpcfit::run {

// Steps run in the order of `at` (ties in file order); a step runs when its instant has come
// and, for steps that run on a client thread, that thread is free.
enum class StepKind : std::uint8_t {
  call,                // `thread` makes call `call` (sync; async: begun, the thread does not wait)
  cancel,              // RpcCancelThreadEx(handle, timeout) from the timeline's own thread
  cancel_thread,       // RpcCancelThread(handle)
  async_cancel,        // RpcAsyncCancelCall(call, abortive)
  set_cancel_timeout,  // RpcMgmtSetCancelTimeout(timeout) on `thread`
  open_thread,         // OpenThread(access, id of `thread`), kept under the name `handle`
  close_handle,        // CloseHandle(handle)
  wait,                // the timeline waits until call `call` has ended
};

// Where a step runs.
enum class StepRunsOn : std::uint8_t {
  client_thread,  // queued on its `thread`, a client thread registered with the runtime
  timeline,       // at its instant, on the timeline's own API thread, under the watchdog
  runner,         // on the runner's thread, which it holds until it is done
};

// How a step comes by the thread handle it passes.
enum class HandleUse : std::uint8_t {
  none,
  named_or_opened,  // `handle`, or one opened to its `thread` with `access` and closed after it
  opened,           // it opens one to its `thread` and keeps it under `handle`
  named,            // `handle` only
};

// What `expect` compares a step's result with.
enum class StepResult : std::uint8_t {
  none,    // the step returns nothing to check (its call's outcome is checked in `expect.calls`)
  status,  // the RPC status the API returned
  handle,  // whether the handle was good: a non-null handle, CloseHandle's success
};

struct StepTraits {
  StepKind kind;
  std::string_view name;  // the step's key in a scenario file
  std::string_view api;   // what it calls, for messages
  StepRunsOn runs_on;
  HandleUse handle;
  bool names_call;  // `call` names another step's call (async_cancel, wait)
  StepResult result;
  std::span<const std::string_view> keys;  // the keys its body may have
};

namespace step_keys {
inline constexpr std::array<std::string_view, 6> call{"id",       "thread", "opnum",
                                                      "in_bytes", "in_hex", "async"};
inline constexpr std::array<std::string_view, 6> cancel{"thread",  "handle", "access",
                                                        "timeout", "expect", "returns_within"};
inline constexpr std::array<std::string_view, 5> cancel_thread{"thread", "handle", "access",
                                                               "expect", "returns_within"};
inline constexpr std::array<std::string_view, 4> async_cancel{"call", "abortive", "expect",
                                                              "returns_within"};
inline constexpr std::array<std::string_view, 4> set_cancel_timeout{"thread", "timeout", "expect",
                                                                    "returns_within"};
inline constexpr std::array<std::string_view, 4> open_thread{"handle", "thread", "access",
                                                             "returns_within"};
inline constexpr std::array<std::string_view, 3> close_handle{"handle", "expect", "returns_within"};
inline constexpr std::array<std::string_view, 1> wait{"call"};
}  // namespace step_keys

// clang-format off
inline constexpr std::array<StepTraits, 8> kStepTraits{{
  // kind                          name                  api                        runs on                     handle                      names_call  result              keys
  {StepKind::call,               "call",               "the call",                StepRunsOn::client_thread, HandleUse::none,            false, StepResult::none,   step_keys::call},
  {StepKind::cancel,             "cancel",             "RpcCancelThreadEx",       StepRunsOn::timeline,      HandleUse::named_or_opened, false, StepResult::status, step_keys::cancel},
  {StepKind::cancel_thread,      "cancel_thread",      "RpcCancelThread",         StepRunsOn::timeline,      HandleUse::named_or_opened, false, StepResult::status, step_keys::cancel_thread},
  {StepKind::async_cancel,       "async_cancel",       "RpcAsyncCancelCall",      StepRunsOn::timeline,      HandleUse::none,            true,  StepResult::status, step_keys::async_cancel},
  {StepKind::set_cancel_timeout, "set_cancel_timeout", "RpcMgmtSetCancelTimeout", StepRunsOn::client_thread, HandleUse::none,            false, StepResult::status, step_keys::set_cancel_timeout},
  {StepKind::open_thread,        "open_thread",        "OpenThread",              StepRunsOn::timeline,      HandleUse::opened,          false, StepResult::handle, step_keys::open_thread},
  {StepKind::close_handle,       "close_handle",       "CloseHandle",             StepRunsOn::timeline,      HandleUse::named,           false, StepResult::handle, step_keys::close_handle},
  {StepKind::wait,               "wait",               "the wait",                StepRunsOn::runner,        HandleUse::none,            true,  StepResult::none,   step_keys::wait},
}};
// clang-format on

// The row of `kind` (kStepTraits is in the enum's order; a test keeps it so).
constexpr const StepTraits& traits(StepKind kind) {
  return kStepTraits[static_cast<std::size_t>(kind)];
}
constexpr std::string_view step_name(StepKind kind) {
  return traits(kind).name;
}

}  // namespace rpcfit::run
