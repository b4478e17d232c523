// `rpcfit agent`: rpcfit's own runtime behind the agent protocol (drivers/agent/PROTOCOL.md) on
// stdin and stdout, as `rpcfit run --client-agent 'rpcfit agent'` starts it; the reference agent
// that foreign agents are measured against.
#pragma once

#include <ostream>
#include <string>

#include "harness/cli/command.h"

namespace rpcfit::cli {

Command add_agent_command(CLI::App& rpcfit);

// `rpcfit check-agent CMD`: the agent protocol's conformance check (drivers/agent/
// protocol_check.h) against an agent, a line per step; 0 when every step passed, 1 otherwise.
int check_agent_command(const std::string& command, std::ostream& out);
Command add_check_agent_command(CLI::App& rpcfit);

}  // namespace rpcfit::cli
