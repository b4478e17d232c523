#include "harness/cli/agent_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <system_error>

#include "drivers/agent/protocol_check.h"
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

int check_agent_command(const std::string& command, std::ostream& out) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/rpcfit-check-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {  // 0700
    out << "rpcfit: check-agent: cannot make a private directory\n";
    return 2;
  }
  out << "rpcfit check-agent: " << command << '\n';
  const agent::ProtocolCheck check = agent::check_agent(command, dir);
  for (const agent::CheckStep& step : check.steps) {
    out << (step.ok ? "PASS   " : "FAIL   ") << step.name;
    if (!step.detail.empty()) out << ": " << step.detail;
    out << '\n';
  }
  if (!check.log.empty()) out << "\nThe agent's stderr:\n" << check.log << '\n';
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  out << (check.ok() ? "The agent speaks the protocol.\n"
                     : "The agent does not speak the protocol yet.\n");
  return check.ok() ? 0 : 1;
}

Command add_check_agent_command(CLI::App& rpcfit) {
  auto command = std::make_shared<std::string>();
  CLI::App* app = rpcfit.add_subcommand(
      "check-agent",
      "Check that an agent speaks the agent protocol (drivers/agent/PROTOCOL.md), client role: "
      "hello, the clock, bind, threads, calls answered out of order, handles, shutdown");
  app->add_option("COMMAND", *command, "The agent's command (run by /bin/sh -c)")->required();
  app->footer(
      "Example: rpcfit check-agent 'python3 tests/agents/stdlib_agent.py'\n"
      "Exit status: 0 it speaks the protocol, 1 a step failed, 2 usage error.");
  return Command{app, [command] { return check_agent_command(*command, std::cout); }};
}

}  // namespace rpcfit::cli
