// A subcommand of `rpcfit`: the CLI11 app that holds its options (bound to state the command
// owns) and what runs it once they are parsed. Each command's file registers its own
// (add_*_command), so main.cc only lists them.
#pragma once

#include <functional>
#include <vector>

namespace CLI {
class App;
}

namespace rpcfit::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;  // the exit status
};
using Commands = std::vector<Command>;

// Blocks SIGINT and SIGTERM in the calling thread, and so in every thread it starts afterwards,
// and returns a wait for one of them: only sigwait() takes them (serve, proxy).
std::function<void()> stop_on_signal();

}  // namespace rpcfit::cli
