#include "harness/cli/agent_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "drivers/agent/rpcfit_agent.h"

namespace rpcfit::cli {

Command add_agent_command(CLI::App& rpcfit) {
  CLI::App* app = rpcfit.add_subcommand(
      "agent",
      "Serve the agent protocol (drivers/agent/PROTOCOL.md) on stdin and stdout with rpcfit's own "
      "runtime in the client role: what `rpcfit run --client-agent` starts");
  app->footer(
      "Example: rpcfit run scenarios --client-agent 'rpcfit agent'\n"
      "Exit status: 0 after shutdown, 2 when stdin ended without one.");
  return Command{app, [] {
                   std::ios::sync_with_stdio(false);
                   const int status = agent::serve_agent(std::cin, std::cout, std::cerr);
                   std::cout.flush();
                   std::cerr.flush();
                   // Threads left in a call nothing could end must not hold the exit up.
                   std::_Exit(status);
                   return status;
                 }};
}

}  // namespace rpcfit::cli
