// The report of one run of `rpcfit run`: the model that report.json holds (schema "rpcfit-report",
// version kSchemaVersion; reports/README.md documents every field) and that the JUnit XML, HTML
// and Markdown renderings, `rpcfit report diff` and `rpcfit report merge` read. Plain data: it is
// built from the runner's results (from_run.h) or parsed from JSON (report_json.h), so a merged or
// compared report renders exactly as a fresh one. Instants are milliseconds of scenario time since
// the scenario's start; durations of real time are named `wall`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/model/normalized_capture.h"

namespace rpcfit::reports {

inline constexpr std::string_view kSchemaName = "rpcfit-report";
inline constexpr int kSchemaVersion = 1;

// One failed expectation, as the runner's checks give it.
struct Mismatch {
  std::string location;  // "scenarios/x.yaml:12:7" (the value in the scenario file)
  std::string field;     // "call c1 status", "wire[1] at", "capture"
  std::string expected;
  std::string actual;
  std::string detail;                // e.g. "tolerance 50ms; #3 at 350.305ms: out cl_cancel ..."
  std::vector<std::string> rules{};  // the rules it breaks: ["CS-TMO-2"]
};

// How one client call of the timeline ended.
struct CallResult {
  std::string id;
  bool async = false;
  bool started = false;
  bool ended = false;
  double started_ms = 0;
  double ended_ms = 0;
  bool returned = false;  // returned normally (async: completed with RPC_S_OK)
  std::string status;     // name as in wire.md ("RPC_S_CALL_CANCELLED"), or the number
  std::uint32_t status_value = 0;
  std::uint64_t output_bytes = 0;
  std::string detail;  // the exception's text
};

// One API call of the timeline (cancel, open_thread, ...) and what it returned.
struct StepResult {
  std::size_t index = 0;  // into the scenario's steps, in file order
  std::string kind;       // "call", "cancel", ...
  std::string location;
  bool ran = false;
  double at_ms = 0;
  double ended_ms = 0;                  // when the API returned (API steps)
  std::optional<std::string> returned;  // a status name
  std::optional<bool> handle_ok;
};

struct ServerEvent {
  std::string kind;  // started, polled, saw_cancel, finished, result_discarded, ...
  double at_ms = 0;
  std::string detail;  // "RPC_S_OK", "raised RPC_S_CALL_CANCELLED", ...
};

// One call the server started, in the order it started them.
struct ServerCall {
  std::uint32_t call_id = 0;  // call_id (CO) or seqnum (datagram)
  std::uint16_t opnum = 0;
  std::vector<ServerEvent> events;
  std::optional<std::string> result;        // response, fault, discarded
  std::optional<std::string> fault_status;  // name as in wire.md, else 0x hex
};

// One PDU the client sent (out) or received (in), as its runtime's capture sink saw it.
struct WireLine {
  double at_ms = 0;
  bool out = true;
  std::string type;  // "co_cancel"
  std::string text;  // the one-line form of `rpcfit capture dump`
};

// The comparison of a run's capture with its golden (or of the live capture with the runtime's).
// What a capture check found (harness/model/normalized_capture.h).
using CaptureCheck = run::CaptureCheck;

// An attempt the runner discarded: it failed while the machine stalled (harness/run/runner.h).
struct Retry {
  std::string verdict;
  std::string reason;
  double stall_ms = 0;  // real time
};

struct ScenarioResult {
  std::string id;
  std::string title;
  std::string file;
  std::string area;  // the spec area of the scenario's first rule (rule_area), JUnit's classname
  std::string level;
  std::string protseq;
  std::vector<std::string> tags;
  std::vector<std::string> rules;
  unsigned repetition = 0;  // 0-based
  std::uint64_t seed = 0;
  std::string verdict;                 // PASS, FAIL, ERROR, SKIP, XFAIL, XPASS
  std::string reason;                  // ERROR, SKIP, XFAIL (the mark), XPASS
  double wall_ms = 0;                  // real time the scenario took
  double ended_ms = 0;                 // scenario time when its observation closed
  double stall_ms = 0;                 // real time: the worst stall seen while it played
  std::vector<Retry> retried;          // the attempts before this one, discarded for a stall
  std::string log;                     // ERROR: what an agent wrote to stderr (its last 64 KiB)
  std::optional<double> alignment_ms;  // an agent's clock against scenario time: the error
  std::vector<Mismatch> mismatches;
  std::vector<CallResult> calls;
  std::vector<StepResult> steps;
  std::vector<ServerCall> server_calls;
  std::vector<WireLine> wire;
  std::uint64_t fault_seed = 0;
  std::vector<std::string> faults;                // the scenario's fault specs, as written
  std::map<std::string, std::uint64_t> injected;  // per fault kind: how often it fired
  std::optional<CaptureCheck> capture;            // none: captures were not written
  std::optional<CaptureCheck> live_capture;       // --live-capture

  // "timeout/co/hung-server-finite", or "... #2" for the second repetition of several.
  std::string label(unsigned repeat) const;
};

struct RunSettings {
  std::vector<std::string> paths;
  std::vector<std::string> filters;
  std::vector<std::string> excludes;
  std::vector<std::string> tags;
  std::string level;  // "", must, should
  std::string shard;  // "I/N", "" for none
  unsigned jobs = 1;
  unsigned repeat = 1;
  double time_scale = 1.0;
  double tolerance_scale = 1.0;
  bool fail_fast = false;
  unsigned stall_retries = 0;
};

struct Totals {
  std::size_t runs = 0, passed = 0, failed = 0, errors = 0, skipped = 0, xfail = 0, xpass = 0;
  // FAIL, ERROR and XPASS: what fails a run.
  std::size_t failing() const { return failed + errors + xpass; }
};

// Who played a role (client or server): rpcfit's runtime in process, or an agent, with what its
// hello said.
struct Target {
  std::string role;     // client, server
  std::string driver;   // inproc, agent
  std::string command;  // the agent's command; empty in process
  std::string implementation;
  std::string version;
  int protocol = 0;  // the agent protocol's version; 0 in process

  // "client: agent `python3 agent.py` (example 0.1, protocol 1)", "server: rpcfit (in process)".
  std::string line() const;
};

struct RunReport {
  std::string tool_version;  // rpcfit's version
  std::string driver;        // "inproc"
  std::string started_at;    // ISO 8601, UTC: "2026-12-06T04:27:09Z"
  double wall_ms = 0;
  std::uint64_t seed = 0;
  RunSettings settings;
  std::vector<Target> targets;            // per role; older reports: none
  std::vector<ScenarioResult> scenarios;  // in run order: by id, then repetition

  Totals totals() const;
};

// Whether a verdict fails a run (FAIL, ERROR, XPASS).
bool failing_verdict(std::string_view verdict);

// "field: expected E, got A", and with its location and detail:
// "scenarios/x.yaml:12:7: field: expected E, got A (detail)".
std::string mismatch_summary(const Mismatch& m);
std::string mismatch_line(const Mismatch& m);

// "attempt 1 of 3, FAIL while the machine stalled for 152.3ms: breaks CS-TMO-2": the discarded
// attempt `index` (0-based) of a result that took `attempts` in all.
std::string retry_line(const Retry& retry, std::size_t index, std::size_t attempts);

// The command that replays runs as they were played: "rpcfit run FILE... --seed N", with
// --repeat, --time-scale and --tolerance-scale when they are not 1; each file once, in the order
// given, quoted for a POSIX shell where it needs it.
std::string replay_command(const std::vector<std::string>& files, std::uint64_t seed,
                           unsigned repeat, double time_scale, double tolerance_scale);

}  // namespace rpcfit::reports
