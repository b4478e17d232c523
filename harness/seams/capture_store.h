// CaptureStore: where a run keeps its captures, and what the capture checks
// (harness/check/capture_check.h) read back. The runner opens a sink per scenario run before the
// scenario starts and, once the scenario's world is gone and the sink closed, asks for the
// normalized captures the checks compare; it records a golden when the golden check says so.
// captures/pcap_store.h keeps them as pcap files under a run folder.
//
// Every member may throw std::exception: the scenario run is then an ERROR with its text (a
// capture that cannot be written or read back is harness trouble, not the runtime's).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "harness/core/endpoint.h"
#include "harness/model/normalized_capture.h"
#include "harness/model/scenario.h"
#include "harness/seams/capture_sink.h"

namespace rpcfit::run {

class CaptureStore {
 public:
  virtual ~CaptureStore() = default;

  // The sink of one scenario run's capture (null: none is kept, and nothing is checked).
  virtual std::unique_ptr<CaptureSink> open(const Scenario& scenario, unsigned repetition) = 0;

  struct Stored {
    std::string path;  // relative to the run folder
    NormalizedCapture capture;
  };
  // The run's capture, read back and normalized with times from `origin` (the scenario's start).
  virtual Stored read(const Scenario& scenario, unsigned repetition, Timestamp origin) = 0;
  // The golden at `path` (golden_path(), relative to the root), normalized; none without a file.
  virtual std::optional<NormalizedCapture> golden(const std::string& path) = 0;
  // Writes `capture` as the golden at `path` (--update-captures).
  virtual void record_golden(const std::string& path, const NormalizedCapture& capture) = 0;

  // --live-capture: the interface ("" when none), and why its capture could not start ("").
  virtual std::string live_interface() const { return ""; }
  virtual std::string live_problem() const { return ""; }
  // Where the live capture of this run goes: its path and own_path, the captures left empty
  // (nothing is read).
  virtual LiveEvidence live_paths(const Scenario& scenario, unsigned repetition) const = 0;
  // The live capture of the run's conversations, written beside its capture and read back.
  virtual LiveEvidence live(const Scenario& scenario, unsigned repetition) = 0;
};

}  // namespace rpcfit::run
