// `rpcfit list [PATH...] [--filter GLOB] [--exclude GLOB] [--tag T] [--level L] [--json]`: the
// scenarios, one per line (id, level, tags, rules, title) or as a JSON array.
// `rpcfit list --coverage`: each rule of spec/cancel-semantics.md with the selected scenarios
// that name it, then the rules none names; exit 1 when there is such a rule. Skipped scenarios and
// known failures do not cover a rule.
// `rpcfit validate [PATH...]`: checks the files without running them.
// Exit status: 0; 2 for invalid scenario files or a usage error; list exits 3 when nothing is
// selected.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "harness/cli/command.h"
#include "harness/cli/selection_options.h"

namespace rpcfit::cli {

struct ListOptions {
  std::vector<std::string> paths;
  SelectionOptions selection;  // no --shard
  bool json = false;
  bool coverage = false;
};

int list_command(const ListOptions& options, std::ostream& out, std::ostream& err);
int validate_command(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err);

Command add_list_command(CLI::App& rpcfit);
Command add_validate_command(CLI::App& rpcfit);

}  // namespace rpcfit::cli
