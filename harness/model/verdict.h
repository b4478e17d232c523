// Verdicts of one scenario run (h2spec's and GoogleTest's vocabulary):
//   pass   every expectation held
//   fail   some did not (the mismatches say which)
//   error  harness trouble: a session that would not open, a watchdog that fired, a thread left
//   skip   not run (the scenario's `skip`, or the driver cannot run it here), with the reason
//   xfail  a known failure (`xfail`) that failed as known
//   xpass  a known failure that passed: the mark is stale, and the run fails
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/model/scenario.h"

namespace rpcfit::run {

// One expectation that did not hold.
struct Mismatch {
  std::string field;     // "call c1 status", "server call 1 saw_cancel", "wire[3] pdu", "step 2"
  std::string expected;  // "RPC_S_CALL_CANCELLED"
  std::string actual;    // "RPC_S_OK"
  SourceLoc loc;         // where the scenario states the expectation
  std::string detail;    // timing: "tolerance 0.105s"; wire: the actual PDU's one-line text
  // The rules of spec/cancel-semantics.md the expectation witnesses (harness/check/witness.h).
  std::vector<std::string> rules{};
};
// "file:12:5: call c1 status: expected RPC_S_CALL_CANCELLED, got RPC_S_OK (detail) [CS-RES-1]"
std::string to_string(const Mismatch& mismatch);
// "CS-TMO-2, CS-FWD-1"
std::string rules_text(const std::vector<std::string>& rules);
// The rules the mismatches name, each once, in the order they first come.
std::vector<std::string> broken_rules(const std::vector<Mismatch>& mismatches);

enum class Verdict : std::uint8_t { pass, fail, error, skip, xfail, xpass };
std::string_view verdict_name(Verdict verdict);  // "PASS", "FAIL", ...
// Whether the verdict fails a run (fail, error, xpass).
bool fails_run(Verdict verdict);

// The verdict of a scenario that ran to its end with these mismatches (xfail or not).
Verdict verdict_of(bool known_failure, const std::vector<Mismatch>& mismatches);

}  // namespace rpcfit::run
