// The in-process RuntimeDriver: each session is the reference client (reference_client.h) calling
// the reference server (reference_server.h), both rpcfit's own runtime (drivers/runtime) in this
// process, the server playing the scenario's behaviours (drivers/server) and the transports
// carrying its faults (drivers/fault).
//
// A session (inproc_session.h) has two Runtimes on the run's clock and run directory: the
// server's, and the client's, which tees its PDUs to the session's view of the wire and on to
// the run's capture sink. One FaultPlan, from the scenario's faults and the session's seed,
// decorates the client's stream connections (ncacn_*: both directions of each connection) or the
// datagram sockets of both runtimes (ncadg_*: each side's sends, so c2s and s2c faults both
// apply). A fault the transport cannot apply (reorder on a stream; reset and slice on datagrams)
// is refused at open() as harness trouble (SessionError, not a skip).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "harness/core/result.h"
#include "harness/seams/runtime_driver.h"

namespace rpcfit::inproc {

// The seed of the client runtime's own random choices (activity UUIDs) in a session seeded
// `session_seed`: a stream of it apart from the faults'. rpcfit's agent takes the same, so that
// its runtime chooses as the in-process one does.
std::uint64_t client_runtime_seed(std::uint64_t session_seed);

class InprocDriver final : public run::RuntimeDriver {
 public:
  std::string name() const override { return "inproc"; }
  // SessionError with skip for a protocol sequence the runtime does not speak; without skip for
  // a fault it cannot apply, or a server that cannot listen or be bound to.
  Result<std::unique_ptr<run::DriverSession>, run::SessionError> open(
      const run::SessionSetup& setup) override;
};

}  // namespace rpcfit::inproc
