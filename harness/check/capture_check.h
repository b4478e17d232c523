// The capture checks, as pure functions over normalized captures (the I/O behind them is a
// CaptureStore's, harness/seams/capture_store.h):
//   golden  the run's capture against the scenario's golden (golden_path(), scenario.h), within
//           the scenario's timing tolerance; --update-captures records or refreshes the golden of
//           a scenario whose expectations held instead of failing it
//   live    every PDU of the run's capture on the live capture of an interface, in its order
// Each gives the CaptureCheck the reports show and, when it fails the scenario, the Mismatch.
#pragma once

#include <optional>
#include <string>

#include "harness/check/timing.h"
#include "harness/model/normalized_capture.h"
#include "harness/model/observation.h"
#include "harness/model/scenario.h"
#include "harness/model/verdict.h"

namespace rpcfit::run {

struct GoldenInput {
  std::string path;  // the run's capture, relative to the run folder
  // The run's capture, normalized with times from the scenario's start.
  NormalizedCapture actual;
  // The scenario's golden, normalized; none when it has no file.
  std::optional<NormalizedCapture> golden;
  bool update = false;   // --update-captures
  bool passing = false;  // every other expectation held and the scenario is no known failure
};

struct GoldenOutcome {
  CaptureCheck check;
  std::optional<Mismatch> mismatch;
  // Write this as the scenario's golden (--update-captures: recorded or updated).
  std::optional<NormalizedCapture> record;
};

GoldenOutcome check_golden(const Scenario& scenario, const Observation& observed, GoldenInput input,
                           const TimingSettings& timing);

struct LiveOutcome {
  CaptureCheck check;
  std::optional<Mismatch> mismatch;
};

// Why the live check does not apply to this scenario, as its skipped CaptureCheck: the live
// capture could not start (`problem`), or the protocol sequence does not cross the interface.
std::optional<CaptureCheck> live_skipped(const Scenario& scenario, const std::string& interface,
                                         const std::string& problem, const std::string& path,
                                         const std::string& own_path);

// The run's PDUs against the interface's: the same in the same order (times are not compared: the
// clocks differ), but for datagrams to a client that had let its activity go.
LiveOutcome check_live(const Scenario& scenario, const std::string& interface,
                       const LiveEvidence& input);

}  // namespace rpcfit::run
