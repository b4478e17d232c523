// RuntimeDriver: how the runner drives a client and a server for one scenario. The in-process
// runtime (drivers/inproc) is one; a foreign implementation over the wire can be another.
//
// A session is one scenario's world: a server playing the scenario's behaviours and faults, a
// client runtime and a binding to the server. The runner calls the client-thread operations on
// the scenario's client threads (each a real thread it owns), the others from its timeline thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/bytes.h"
#include "harness/core/clock.h"
#include "harness/core/result.h"
#include "harness/core/status.h"
#include "harness/model/observation.h"
#include "harness/model/scenario.h"
#include "harness/seams/capture_sink.h"

namespace rpcfit::run {

struct SessionSetup {
  const Scenario* scenario = nullptr;
  Clock* clock = nullptr;          // scenario time (a RealClock at the run's time scale)
  std::filesystem::path run_dir;   // private to this session (0700): Unix sockets, queues
  std::uint64_t seed = 0;          // the session's faults draw from it
  CaptureSink* capture = nullptr;  // also tee the client's PDUs here (a pcap), or null
};

// Why a session could not be opened: harness trouble (ERROR), or a scenario this machine cannot
// run (SKIP), e.g. a protocol sequence it lacks.
struct SessionError {
  bool skip = false;
  std::string reason;
  std::string log;  // what the runtime under test wrote (an agent's stderr), for the report
};

// How a call ended.
struct CallOutcome {
  bool returned = false;
  RpcStatus status = status::kOk;  // RPC_S_OK when it returned
  Bytes output;                    // what the call returned (empty unless it returned)
  std::string detail;
  // When the call ended by the runtime's own clock, in scenario time (an agent's timestamp,
  // aligned); none: when the driver returned it.
  std::optional<Duration> ended_at;
};

class DriverSession {
 public:
  virtual ~DriverSession() = default;

  // ---- on a client thread ----
  // Registers the calling thread with the client runtime: its thread id (GetCurrentThreadId).
  virtual std::uint32_t register_thread() = 0;
  // A synchronous call; returns how it ended (a raised status is an outcome, not an exception).
  virtual CallOutcome call(std::uint16_t opnum, ByteView input) = 0;
  virtual RpcStatus set_cancel_timeout(long timeout) = 0;

  // ---- from any thread ----
  virtual std::uint64_t open_thread(std::uint32_t access, std::uint32_t thread_id) = 0;
  virtual bool close_handle(std::uint64_t handle) = 0;
  virtual RpcStatus cancel_thread_ex(std::uint64_t handle, long timeout) = 0;
  virtual RpcStatus cancel_thread(std::uint64_t handle) = 0;
  // An asynchronous call under `key`; `done` is called once, on any thread, when it completes
  // (after RpcAsyncCompleteCall). Returns the status of beginning it.
  virtual RpcStatus begin_async(int key, std::uint16_t opnum, ByteView input,
                                std::function<void(const CallOutcome&)> done) = 0;
  virtual RpcStatus cancel_async(int key, bool abortive) = 0;

  // ---- observations so far ----
  virtual std::vector<WirePdu> wire() const = 0;
  virtual std::vector<ServerCallRecord> server_calls() const = 0;
  virtual std::uint64_t fault_seed() const = 0;
  virtual std::string faults_injected() const = 0;
  // The driver's own trouble during the session (an agent that crashed, hung up or wrote what
  // is not a message): the scenario is an ERROR with it, never judged. None: there was none.
  virtual std::optional<SessionError> trouble() const { return std::nullopt; }
  // How far the runtime's timestamps may be off scenario time (an agent's clock alignment); none:
  // the runtime shares the runner's clock.
  virtual std::optional<Duration> alignment_error() const { return std::nullopt; }
  // The side of the wire a runtime that is not rpcfit's own played (golden comparison).
  virtual ForeignSide foreign_side() const { return ForeignSide::none; }

  // Ends every call still in progress (sync calls return to their threads, async calls complete)
  // and stops the server, abandoning routines still running after `bound` (scenario time).
  // Returns what could not be ended, empty when all was; idempotent.
  virtual std::string shutdown(Duration bound) = 0;
};

class RuntimeDriver {
 public:
  virtual ~RuntimeDriver() = default;
  virtual std::string name() const = 0;
  virtual Result<std::unique_ptr<DriverSession>, SessionError> open(const SessionSetup& setup) = 0;
};

}  // namespace rpcfit::run
