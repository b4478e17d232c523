#include "harness/model/scenario_run.h"

namespace rpcfit::run {

void judge(const Scenario& scenario, ScenarioRun& run) {
  run.verdict = verdict_of(scenario.xfail.has_value(), run.mismatches);
  run.reason.clear();
  if (run.verdict == Verdict::fail)
    run.reason = "breaks " + rules_text(broken_rules(run.mismatches));
  if (run.verdict == Verdict::xfail) run.reason = *scenario.xfail;
  if (!run.watchdog.empty() && (run.verdict == Verdict::fail || run.verdict == Verdict::xfail)) {
    run.reason += "; the watchdog ended it: " + run.watchdog;
  }
  if (run.verdict == Verdict::xpass) {
    run.reason = "marked as a known failure (" + *scenario.xfail + ") but passed";
  }
}

}  // namespace rpcfit::run
