// `rpcfit run [PATH|DIR ...]`: loads the scenarios, selects some, plays them on the in-process
// runtime (drivers/inproc) with the runner (harness/run/runner.h), and prints a line per result
// (on a terminal: the non-passing ones above a live progress line), a failure summary and the
// totals. Exit status: 0 all passed (XFAIL and SKIP included), 1 any FAIL, ERROR or XPASS, 2 a
// usage error or an invalid scenario file, 3 no scenario selected.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace rpcfit::cli {

struct RunOptions {
  std::vector<std::string> paths;  // none: scenarios/
  std::vector<std::string> filters;
  std::vector<std::string> excludes;
  std::vector<std::string> tags;
  std::string level;  // "", must, should
  unsigned jobs = 0;  // 0: the number of cores
  double time_scale = 1.0;
  double tolerance_scale = 1.0;
  std::optional<std::uint64_t> seed;  // none: a fresh one
  unsigned repeat = 1;
  std::string shard;  // "I/N"; empty: GTEST_SHARD_INDEX / GTEST_TOTAL_SHARDS, else 0/1
  bool fail_fast = false;
  std::string out;        // per-scenario captures; empty: none
  bool progress = false;  // a live progress line (the command sets it for a terminal)
};

int run_command(const RunOptions& options, std::ostream& out, std::ostream& err);

}  // namespace rpcfit::cli
