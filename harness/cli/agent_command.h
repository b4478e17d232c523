// `rpcfit agent`: rpcfit's own runtime behind the agent protocol (drivers/agent/PROTOCOL.md) on
// stdin and stdout, as `rpcfit run --client-agent 'rpcfit agent'` starts it; the reference agent
// that foreign agents are measured against.
#pragma once

#include "harness/cli/command.h"

namespace rpcfit::cli {

Command add_agent_command(CLI::App& rpcfit);

}  // namespace rpcfit::cli
