// `rpcfit run [PATH|DIR ...]`: loads the scenarios, selects some, plays them through a driver
// (--driver, drivers.h; by default the in-process runtime) with the runner
// (harness/run/runner.h), which checks each against its expectations and its golden capture
// (captures/pcap_store.h keeps the captures), and prints a line per result (on a terminal: the
// non-passing ones above a live progress line), a failure summary and the totals; it leaves the
// run folder with the captures and report.json, junit.xml, report.html and summary.md. Exit
// status: 0 all passed (XFAIL and SKIP included), 1 any FAIL, ERROR or XPASS, or a regression
// against --baseline, 2 a usage error, an invalid scenario file or an unreadable baseline, 3 no
// scenario selected.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/cli/command.h"
#include "harness/cli/selection_options.h"

namespace rpcfit::cli {

struct RunOptions {
  std::vector<std::string> paths;  // none: scenarios/
  SelectionOptions selection;
  std::string driver = "inproc";
  // The client under test: an agent's command (drivers/agent/PROTOCOL.md), run by /bin/sh -c;
  // empty: the driver's own client. Implies the agent driver and time scale 1.
  std::string client_agent;
  std::string known_failures;  // a known-failures file (harness/model/known_failures.h)
  unsigned jobs = 0;           // 0: the number of cores
  double time_scale = 1.0;
  double tolerance_scale = 1.0;
  std::optional<std::uint64_t> seed;  // none: a fresh one
  unsigned repeat = 1;
  bool fail_fast = false;
  unsigned stall_retries = 2;
  std::string out;         // the run folder; empty: runs/<UTC time>-<seed>, with runs/latest
  std::string root = ".";  // golden captures' paths are relative to this
  bool update_captures = false;
  std::string live_capture;  // an interface to capture on as well; empty: none
  std::string baseline;      // a report.json to compare with; empty: none
  double drift_percent = 20;
  double drift_min_ms = 50;
  bool progress = false;  // a live progress line (the command sets it for a terminal)
};

int run_command(const RunOptions& options, std::ostream& out, std::ostream& err);

Command add_run_command(CLI::App& rpcfit);

}  // namespace rpcfit::cli
