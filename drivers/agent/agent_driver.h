// The agent driver: the RuntimeDriver whose client under test is an agent (PROTOCOL.md), a
// program in the runtime being judged, started fresh for every scenario in a private directory
// under the scenario's run directory. The reference server (inproc/reference_server.h) plays the
// scenario's server and records its view of the wire; a scenario with faults puts rpcfit's fault
// proxy (fault/proxy/proxy.h) between the two, applying one plan as the in-process driver does,
// and its view (the PDUs as each side received them) is the wire.
//
// A run through it plays at time scale 1: a foreign runtime's cancel timeouts are real seconds.
// The agent's timestamps are aligned to scenario time (AgentLink::align), the error reported.
//
// SKIP (never FAIL) for what the agent lacks (needs.h) and for faults the proxy cannot carry
// (it forwards TCP and UDP: ncacn_ip_tcp and ncadg_ip_udp). ERROR, naming the agent and the last
// exchange, with its stderr, for an agent that cannot be started, greeted, or bound, or that
// fails while the scenario plays (DriverSession::trouble).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drivers/agent/protocol.h"
#include "harness/core/result.h"
#include "harness/seams/runtime_driver.h"

namespace rpcfit::agent {

struct AgentDriverOptions {
  std::string client_command;  // run by /bin/sh -c, in the agent's private directory
  std::chrono::milliseconds hello_patience{10000};
};

// Who played a role, for the reports: the agent's command and what its hello said.
struct TargetInfo {
  std::string role;  // client, server
  std::string driver;
  std::string command;  // empty: rpcfit's own runtime in process
  std::string implementation;
  std::string version;
  int protocol = 0;
};

class AgentDriver final : public run::RuntimeDriver {
 public:
  explicit AgentDriver(AgentDriverOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "agent"; }
  Result<std::unique_ptr<run::DriverSession>, run::SessionError> open(
      const run::SessionSetup& setup) override;

  // The roles' targets, with the client agent's hello from the first session that greeted it.
  std::vector<TargetInfo> targets() const;

  // The argv that runs `command` (/bin/sh -c).
  static std::vector<std::string> argv_of(const std::string& command);

 private:
  AgentDriverOptions options_;
  mutable std::mutex mu_;
  std::optional<Hello> client_hello_;
};

}  // namespace rpcfit::agent
