// The capture checks of one scenario run that played to its end: reads what the CaptureStore kept,
// makes the golden and live checks (harness/check/capture_check.h), records a golden when the
// golden check says so, and adds their findings to the run. Throws what the store throws.
#pragma once

#include "harness/model/scenario_run.h"
#include "harness/run/runner.h"
#include "harness/seams/capture_store.h"

namespace rpcfit::run {

void check_captures(CaptureStore& store, const RunSettings& settings, const Scenario& scenario,
                    ScenarioRun& run);

}  // namespace rpcfit::run
