// The agent protocol's conformance check (PROTOCOL.md), client role: what `rpcfit check-agent`
// runs before an implementer points the suite at their agent, as h2spec checks a server's HTTP/2
// framing apart from what it serves. It checks the conversation, not the cancel semantics (the
// suite judges those): hello and its capabilities, the clock, a refused unknown operation, bind,
// named threads, a call's answer and its timestamps, answers out of order while another thread's
// call runs, handles, end_calls, shutdown and the agent's exit.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace rpcfit::agent {

struct CheckStep {
  std::string name;  // "hello", "answers out of order", ...
  bool ok = false;
  std::string detail;  // what was wrong, or what was seen
};

struct ProtocolCheck {
  std::vector<CheckStep> steps;
  std::string log;  // the agent's stderr when a step failed
  bool ok() const;
};

// Runs the check against the agent `command` (run by /bin/sh -c) in `run_dir` (private, 0700),
// with rpcfit's reference server on ncacn_ip_tcp. Steps after one that leaves the conversation
// unusable are not run (the last step says so).
ProtocolCheck check_agent(const std::string& command, const std::filesystem::path& run_dir);

}  // namespace rpcfit::agent
