// `rpcfit capture dump|diff|normalize|example`: reading, comparing, normalizing and writing packet
// captures (captures/). The dump is capture_dump.h, the example capture_example.h.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "harness/cli/command.h"

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

// `rpcfit capture` and its subcommands, each with its options.
void add_capture_commands(CLI::App& rpcfit, Commands& commands);

}  // namespace rpcfit::cli
