#include "harness/run/capture_checks.h"

#include <utility>

#include "harness/check/capture_check.h"

namespace rpcfit::run {

void check_captures(CaptureStore& store, const RunSettings& settings, const Scenario& scenario,
                    ScenarioRun& run) {
  CaptureStore::Stored own = store.read(scenario, run.repetition, run.observed.capture_origin);
  GoldenInput golden;
  golden.path = std::move(own.path);
  golden.actual = std::move(own.capture);
  if (scenario.golden) golden.golden = store.golden(golden_path(scenario));
  golden.update = settings.update_captures;
  golden.passing = !scenario.xfail && run.mismatches.empty();
  GoldenOutcome outcome =
      check_golden(scenario, run.observed, std::move(golden), settings.timing());
  if (outcome.record) store.record_golden(outcome.check.golden, *outcome.record);
  if (outcome.mismatch) run.mismatches.push_back(std::move(*outcome.mismatch));
  run.capture = std::move(outcome.check);

  const std::string interface = store.live_interface();
  if (interface.empty()) return;
  const LiveEvidence paths = store.live_paths(scenario, run.repetition);
  if (auto skipped =
          live_skipped(scenario, interface, store.live_problem(), paths.path, paths.own_path)) {
    run.live = std::move(*skipped);
    return;
  }
  LiveOutcome live = check_live(scenario, interface, store.live(scenario, run.repetition));
  if (live.mismatch) run.mismatches.push_back(std::move(*live.mismatch));
  run.live = std::move(live.check);
}

}  // namespace rpcfit::run
