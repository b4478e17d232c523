// `rpcfit capture diff A B`, `rpcfit report diff BASELINE NEW` and `rpcfit report merge`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace rpcfit::cli {

// Normalizes both captures (capture files' own origins) and prints their diff. Times match within
// `tolerance_ms`. Exit status: 0 the same, 1 they differ, 2 a file cannot be read.
int capture_diff_command(const std::string& a, const std::string& b, double tolerance_ms,
                         std::ostream& out, std::ostream& err);

// Writes the normalized form of a capture (any pcap or pcapng, e.g. one recorded from Windows or
// Samba) as a pcap, ready to serve as a golden; with `conversations`, only those (numbered as
// `capture diff` shows them, in order of appearance). Exit status: 0 written, 2 it cannot be read
// or written, or a conversation is not in it.
int capture_normalize_command(const std::string& in, const std::string& out_file,
                              const std::vector<unsigned>& conversations, std::ostream& out,
                              std::ostream& err);

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

}  // namespace rpcfit::cli
