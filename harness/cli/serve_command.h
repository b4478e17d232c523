// `rpcfit serve BINDING... [--capture FILE] [--json] [--deaf]`: an rpcfit server offering the serve
// interface (drivers/server/serve_interface.h) on every binding given, printing the endpoints it
// listens on and then one line (or JSON object) per call.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/cli/command.h"

namespace rpcfit::cli {

struct ServeOptions {
  std::vector<std::string> bindings;  // string bindings; port 0 or no endpoint: any free one
  std::string capture;                // pcap of every PDU the server exchanged
  bool json = false;
  bool deaf = false;  // ServerOptions::cancel_deaf
  std::string run_dir;
};

// Serves until `wait_for_stop` returns (the command: SIGINT or SIGTERM). 0 after a clean stop, 2
// when a binding is malformed or cannot be listened on, or the capture cannot be written.
int serve_command(const ServeOptions& o, std::ostream& out, std::ostream& err,
                  const std::function<void()>& wait_for_stop);

Command add_serve_command(CLI::App& rpcfit);

}  // namespace rpcfit::cli
