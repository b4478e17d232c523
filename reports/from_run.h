// A ScenarioResult from what the runner gave back (run::ScenarioRun and its scenario): verdict,
// mismatches, calls, steps, server calls, wire, faults and the capture checks.
#pragma once

#include "harness/core/status.h"
#include "harness/model/scenario_run.h"
#include "reports/report.h"

namespace rpcfit::reports {

ScenarioResult scenario_result(const run::ScenarioRun& run);
// One attempt the runner discarded, as the reports hold it.
Retry retry_of(const run::ScenarioRun::Attempt& attempt);

// "RPC_S_CALL_CANCELLED", or the number when the status has no name.
std::string status_text(RpcStatus status);
// "nca_s_fault_cancel", or 0x hex.
std::string nca_status_text(std::uint32_t status);

}  // namespace rpcfit::reports
