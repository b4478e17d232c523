// `rpcfit report diff BASELINE NEW` and `rpcfit report merge SHARD... --out DIR`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "harness/cli/command.h"

namespace rpcfit::cli {

struct ReportDiffOptions {
  std::string baseline;
  std::string next;
  double drift_percent = 20;
  double drift_min_ms = 50;
  bool fail_on_drift = false;
  bool fail_on_capture_change = false;
};
// Prints the comparison. Exit status: 0 no regression, 1 a regression, 2 a report cannot be read.
int report_diff_command(const ReportDiffOptions& options, std::ostream& out, std::ostream& err);

// Merges the shards' report.json files into one run and writes report.json, junit.xml,
// report.html and summary.md into `folder`. Exit status: 0 when the merged run passed, 1 when it
// has failures, 2 when a report cannot be read or the shards overlap.
int report_merge_command(const std::vector<std::string>& inputs, const std::string& folder,
                         std::ostream& out, std::ostream& err);

// `rpcfit report` and its subcommands, each with its options.
void add_report_commands(CLI::App& rpcfit, Commands& commands);

}  // namespace rpcfit::cli
