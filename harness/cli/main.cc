// rpcfit: the command line. The only place that wires concrete parts together: each command's
// file registers its options and what runs it (command.h); this lists them and runs the one given.
#include <CLI/CLI.hpp>
#include <string>

#include "harness/cli/agent_command.h"
#include "harness/cli/call_command.h"
#include "harness/cli/capture_commands.h"
#include "harness/cli/proxy_command.h"
#include "harness/cli/report_commands.h"
#include "harness/cli/run_command.h"
#include "harness/cli/serve_command.h"
#include "harness/cli/suite_commands.h"

int main(int argc, char** argv) {
  using namespace rpcfit::cli;
  CLI::App app{"rpcfit - conformance and fault-injection harness for DCE/RPC cancellation"};
  app.set_version_flag("--version", std::string("rpcfit ") + RPCFIT_VERSION);
  app.require_subcommand(1);

  Commands commands;
  add_capture_commands(app, commands);
  commands.push_back(add_call_command(app));
  commands.push_back(add_serve_command(app));
  commands.push_back(add_proxy_command(app));
  commands.push_back(add_run_command(app));
  add_report_commands(app, commands);
  commands.push_back(add_list_command(app));
  commands.push_back(add_validate_command(app));
  commands.push_back(add_agent_command(app));
  commands.push_back(add_check_agent_command(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  for (const Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return 2;
}
