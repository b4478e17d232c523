// Which rules of spec/cancel-semantics.md an expectation witnesses, so that a mismatch names the
// rules it breaks. Each kind of claim has the rules it can witness (witness.cc, one table); a
// mismatch names those the scenario cites in `spec:`, or all of the scenario's rules when none of
// them is among the claim's (the scenario says what it verifies). A claim the harness adds on
// its own (a call that never ended, an API that never returned) always names its own rule.
#pragma once

#include <string>
#include <vector>

#include "harness/core/status.h"
#include "harness/model/scenario.h"

namespace rpcfit::run {

enum class ClaimKind : std::uint8_t {
  step_status,    // what an API step returned; detail: the step kind's name
  step_time,      // how long an API step took (CS-RET-1)
  step_returned,  // an API step that never returned (CS-RET-1, always named)
  call_status,    // how a call ended; status: the expected one
  call_time,      // when a call ended
  call_output,    // a call's output bytes
  call_running,   // a call that must still be running (CS-TMO-4)
  call_ended,     // a call that never ended (CS-NEV-1, always named)
  server_count,   // how many calls the server started
  server_cancel,  // saw_cancel, saw_cancel_at, polled
  server_finish,  // finished, finished_status, finished_at
  server_result,  // result, fault_status
  server_start,   // opnum, started_at
  wire_pdu,       // an expected PDU; detail: its type, field: the field that differs
  wire_absent,    // a PDU that must not appear; detail: its type
  wire_length,    // the exact list's length
  capture,        // the golden or live capture
};

struct Claim {
  ClaimKind kind = ClaimKind::capture;
  std::string detail;               // a step kind or PDU type, as above
  std::string field;                // wire_pdu: the field ("cancel_count"), empty for the type
  std::optional<RpcStatus> status;  // step_status, call_status: the expected status
};

// The rules `claim` breaks in `scenario`, in the order the scenario's `spec:` lists them (the
// claim's own rule first for the harness's own claims).
std::vector<std::string> broken_rules(const Scenario& scenario, const Claim& claim);

}  // namespace rpcfit::run
