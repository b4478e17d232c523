// Expectation checks: pure functions from a scenario and what one run of it observed to the list
// of mismatches, each with the field, the expected and the actual value, and the scenario line
// that stated it. No mismatches: the scenario's expectations held.
#pragma once

#include <string>
#include <vector>

#include "harness/check/timing.h"
#include "harness/model/observation.h"
#include "harness/model/scenario.h"
#include "harness/model/verdict.h"

namespace rpcfit::run {

// Every expectation of `scenario` against `observed`:
//   steps      each step that ran and carries `expect`, against what its API returned
//   calls      status, ended_at (timing.h), output_bytes, still_running
//   server     the number of calls started; per call in start order: opnum, saw_cancel(_at),
//              finished(_at) and finished_status, started_at, result and fault_status
//   wire       exact: the same length and each PDU's direction, type, fields and time; ordered:
//              each expected PDU found after the previous one's match; absent: none matches
std::vector<Mismatch> check(const Scenario& scenario, const Observation& observed,
                            const TimingSettings& settings);

}  // namespace rpcfit::run
