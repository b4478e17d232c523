#include "harness/model/scenario_run.h"

namespace rpcfit::run {

void judge(const Scenario& scenario, ScenarioRun& run) {
  run.verdict = verdict_of(scenario.xfail.has_value(), run.mismatches);
  run.reason.clear();
  if (run.verdict == Verdict::xfail) run.reason = *scenario.xfail;
  if (run.verdict == Verdict::xpass) {
    run.reason = "marked as a known failure (" + *scenario.xfail + ") but passed";
  }
}

}  // namespace rpcfit::run
