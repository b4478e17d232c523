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

#include "harness/run/checks.h"

namespace rpcfit::run {

enum class Verdict : std::uint8_t { pass, fail, error, skip, xfail, xpass };
std::string_view verdict_name(Verdict verdict);  // "PASS", "FAIL", ...
// Whether the verdict fails a run (fail, error, xpass).
bool fails_run(Verdict verdict);

// The verdict of a scenario that ran to its end with these mismatches (xfail or not).
Verdict verdict_of(bool known_failure, const std::vector<Mismatch>& mismatches);

}  // namespace rpcfit::run
