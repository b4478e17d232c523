// The scenario model: plain data, as the loader (scenarios/) reads it from a YAML file and the
// runner plays it. Every value a check can fail on keeps the file:line:column it came from, so a
// verdict points at the line to look at. The schema is documented in scenarios/README.md.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/bytes.h"
#include "harness/core/clock.h"
#include "harness/core/status.h"
#include "harness/fault/fault_spec.h"
#include "harness/model/server_behaviour.h"
#include "harness/model/step_kinds.h"

namespace rpcfit::run {

// Where a value came from: 1-based line and column; line 0 when only the file is known.
struct SourceLoc {
  std::string file;
  int line = 0;
  int column = 0;
};
// "file:12:5", or "file" without a line.
std::string to_string(const SourceLoc& loc);

enum class Level : std::uint8_t { must, should };
std::string_view level_name(Level level);

// The protocol sequences a scenario may name.
inline constexpr std::array<std::string_view, 6> kProtseqNames{
    "ncacn_ip_tcp", "ncacn_np", "ncalrpc", "ncacn_http", "ncadg_ip_udp", "ncadg_mq"};

// Timing tolerance of one scenario (packetdrill's): an expected instant t matches an actual t'
// when |t' - t| <= max(absolute, percent/100 x interval) x the run's tolerance scale, where the
// interval runs from the last timeline step at or before t to t (timing.h).
struct Tolerance {
  Duration absolute = std::chrono::milliseconds(50);  // scenario time
  double percent = 5.0;
  SourceLoc loc;
};

// An expected instant, scenario time since the scenario's start.
struct ExpectedTime {
  Duration at{};
  SourceLoc loc;
};

struct ServerSetup {
  server::BehaviourSpec behaviour;                          // every opnum not listed below
  std::map<std::uint16_t, server::BehaviourSpec> by_opnum;  // `server.ops`
  bool cancel_deaf = false;  // ServerOptions::cancel_deaf (spec section 9)
  SourceLoc loc;
};

// The behaviour the server plays for `opnum`: its `server.ops` entry, else `server.behaviour`.
const server::BehaviourSpec& behaviour_for(const ServerSetup& server, std::uint16_t opnum);

struct FaultEntry {
  fault::FaultSpec spec;
  std::string text;  // as written
  SourceLoc loc;
};

struct ClientSetup {
  bool legacy_platform = false;  // CS-PLT-1
  // RpcMgmtSetCancelTimeout on every client thread before the timeline starts; none: the default
  // (RPC_C_CANCEL_INFINITE_TIMEOUT).
  std::optional<long> cancel_timeout;
  // Access of the handles cancel steps open when they name no handle.
  std::uint32_t access = 0x001FFFFF;  // THREAD_ALL_ACCESS
  // Datagram knobs (BindingOptions); none: the runtime's defaults.
  std::optional<Duration> dg_retransmit;
  std::optional<Duration> dg_comm_timeout;
  SourceLoc loc;
};

// One step of the timeline (step_kinds.h).
struct Step {
  StepKind kind = StepKind::call;
  Duration at{};
  SourceLoc loc;
  // call, set_cancel_timeout: the client thread it runs on; cancel, cancel_thread, open_thread:
  // the thread targeted (when `handle` is empty, a handle with `access` is opened for the step
  // and closed after it).
  std::string thread = "main";
  // call: the call's id (default "call<N>" by position); async_cancel, wait: the call named.
  std::string call;
  std::uint16_t opnum = 0;
  Bytes input;         // call: `in_bytes: N` (00 01 .. ff 00 ..) or `in_hex:`
  bool async = false;  // call
  // cancel, cancel_thread, close_handle: a handle opened by an open_thread step; open_thread: the
  // name it is kept under.
  std::string handle;
  bool null_handle = false;  // `handle: null`: the null handle (CS-ARG-1)
  std::optional<std::uint32_t> access;
  long timeout = -1;     // cancel, set_cancel_timeout (seconds; -1 RPC_C_CANCEL_INFINITE_TIMEOUT)
  bool abortive = true;  // async_cancel
  // cancel, cancel_thread, async_cancel, set_cancel_timeout: the status the API must return;
  // close_handle: RPC_S_OK for success, anything else for a refused handle.
  std::optional<RpcStatus> expect;
  SourceLoc expect_loc;
  // API steps (not call, wait): the API must return within this much scenario time (CS-RET-1).
  std::optional<Duration> returns_within;
  SourceLoc returns_within_loc;
};

// How a call must end.
struct CallExpect {
  std::string call;
  SourceLoc loc;
  // RPC_S_OK when it returned; otherwise the status it raised (sync) or that
  // RpcAsyncCompleteCall returned (async).
  std::optional<RpcStatus> status;
  SourceLoc status_loc;
  std::optional<ExpectedTime> ended_at;
  std::optional<std::size_t> output_bytes;
  // The output's bytes (output_hex) or their digest (output_digest, core/digest.h digest_text).
  // Neither: a call that returns must still return the test interface's answer to its input
  // (server_behaviour.h answer_to), and is checked against it.
  std::optional<Bytes> output;
  std::optional<std::string> output_digest;
  SourceLoc output_loc;
  // The call must not have ended by the end of the scenario (CS-TMO-4 against a hung server).
  bool still_running = false;
};

enum class ServerResult : std::uint8_t { response, fault, discarded };
std::string_view server_result_name(ServerResult result);

// What the server saw of one call, in the order the server started calls.
struct ServerCallExpect {
  SourceLoc loc;
  std::optional<std::uint16_t> opnum;
  std::optional<bool> saw_cancel;  // the routine learned of a cancel
  std::optional<ExpectedTime> saw_cancel_at;
  std::optional<bool> finished;  // the routine ended by the end of the scenario (CS-STUB-1)
  std::optional<RpcStatus> finished_status;  // what it returned (RPC_S_OK) or raised
  std::optional<ExpectedTime> finished_at;
  std::optional<ExpectedTime> started_at;
  std::optional<ServerResult> result;  // what the runtime did with the result
  std::optional<std::uint32_t> fault_status;
  // The statuses the routine's polls returned, each once, in the order they first came (e.g.
  // [RPC_S_CALL_IN_PROGRESS, RPC_S_OK]); empty: not checked.
  std::vector<RpcStatus> polled;
  // Keys as written, for messages: "saw_cancel" -> its location.
  std::map<std::string, SourceLoc> key_locs;
};

struct ServerExpect {
  SourceLoc loc;
  std::optional<std::size_t> calls;  // how many calls the server started
  std::vector<ServerCallExpect> per_call;
};

// One PDU of the client's view of the wire. `fields` holds optional field checks by the names
// of pdu_fields() (wire_fields.h), compared as text: "flags": "LAST|PENDING_CANCEL",
// "cancel_count": "1", "status": "nca_s_fault_cancel".
struct WireExpect {
  SourceLoc loc;
  bool out = true;  // sent by the client
  std::string pdu;  // ptype name as in wire.md
  std::map<std::string, std::string> fields;
  std::map<std::string, SourceLoc> field_locs;
  std::optional<ExpectedTime> at;
};

enum class WireMatch : std::uint8_t {
  exact,    // the client's PDUs are exactly these, in this order
  ordered,  // these appear in this order; others may come between
};

struct WireExpectations {
  SourceLoc loc;
  WireMatch match = WireMatch::exact;
  std::vector<WireExpect> pdus;
  std::vector<WireExpect> absent;  // PDUs that must not appear (fields narrow them)
};

struct Expectations {
  std::vector<CallExpect> calls;
  std::optional<ServerExpect> server;
  std::optional<WireExpectations> wire;
};

struct Scenario {
  SourceLoc loc;  // the file
  std::string id;
  std::string title;
  std::vector<std::string> spec;  // rule IDs (rules.h)
  Level level = Level::must;
  std::vector<std::string> tags;
  std::string protseq = "ncacn_ip_tcp";
  ServerSetup server;
  std::vector<FaultEntry> faults;
  ClientSetup client;
  Tolerance tolerance;
  // How long the scenario may run, in scenario time, from its start to its last expectation
  // settling; the watchdog fires after it (runner.h). Default: effective_timeout's.
  std::optional<Duration> timeout;
  std::vector<Step> steps;
  Expectations expect;
  std::optional<std::string> capture;  // golden capture path, relative to the project root
  // `capture: none`: the exchange is not the same run after run (a deliberate race), so no
  // golden is kept or compared.
  bool golden = true;
  std::optional<std::string> xfail;  // known failure: the reason
  std::optional<std::string> skip;   // not run: the reason
};

// What `timeout` leaves to the default: this long after the latest instant the scenario names
// (a step's, an expectation's) and the longest time a server routine takes by itself (delay or
// run_for, plus cleanup). The watchdog adds its real-time grace (runner.h) to it.
inline constexpr Duration kTimeoutSlack = std::chrono::seconds(10);
// The scenario's timeout: `timeout`, or the default above.
Duration effective_timeout(const Scenario& scenario);
// Whether an expectation says a call must still be running at the end (`running: true`): the
// scenario is then observed until its timeout rather than until its calls end.
bool expects_running(const Scenario& scenario);
// The path of the scenario's golden capture, relative to the project's root: its `capture:`, else
// captures/golden/<id>.pcap; empty for `capture: none`.
std::string golden_path(const Scenario& scenario);
// Whether the protocol sequence's traffic crosses an IP interface (ncacn_np, ncalrpc and ncadg_mq
// run over Unix-domain sockets or message queues).
bool crosses_ip_interface(std::string_view protseq);

}  // namespace rpcfit::run
