// PcapStore: the CaptureStore (harness/seams/capture_store.h) of `rpcfit run`: a run folder with a
// pcap per scenario run (<id>/capture.pcap, capture-<n>.pcap with --repeat), golden captures
// under a root (the project's, by default the current directory), and with --live-capture a live
// capture of an interface from which each run's conversations are written beside its capture
// (<id>/live.pcap, live-<n>.pcap).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "captures/live_capture.h"
#include "harness/seams/capture_store.h"

namespace rpcfit::captures {

struct PcapStoreOptions {
  std::filesystem::path folder;  // the run folder (made if missing)
  std::filesystem::path root = ".";
  unsigned repeat = 1;         // runs of each scenario: names the captures
  std::string live_interface;  // empty: no live capture
};

class PcapStore final : public run::CaptureStore {
 public:
  explicit PcapStore(PcapStoreOptions options);
  ~PcapStore() override;
  PcapStore(const PcapStore&) = delete;
  PcapStore& operator=(const PcapStore&) = delete;

  // Makes the folder and starts the live capture. An error when the folder cannot be made; a
  // live capture that cannot start is a note (live_problem()), and its checks are skipped.
  std::optional<std::string> prepare();
  const std::filesystem::path& folder() const { return options_.folder; }

  std::unique_ptr<CaptureSink> open(const run::Scenario& scenario, unsigned repetition) override;
  Stored read(const run::Scenario& scenario, unsigned repetition, Timestamp origin) override;
  std::optional<run::NormalizedCapture> golden(const std::string& path) override;
  void record_golden(const std::string& path, const run::NormalizedCapture& capture) override;
  std::string live_interface() const override { return options_.live_interface; }
  std::string live_problem() const override { return live_problem_; }
  run::LiveEvidence live_paths(const run::Scenario& scenario, unsigned repetition) const override;
  run::LiveEvidence live(const run::Scenario& scenario, unsigned repetition) override;

 private:
  std::filesystem::path capture_file(const run::Scenario& scenario, unsigned repetition) const;
  std::filesystem::path live_file(const run::Scenario& scenario, unsigned repetition) const;
  std::string relative(const std::filesystem::path& file) const;

  PcapStoreOptions options_;
  std::unique_ptr<LiveCapture> live_;
  std::string live_problem_;
  std::mutex mu_;  // the marks: scenario runs open and read on worker threads
  std::map<std::pair<const run::Scenario*, unsigned>, std::uint64_t> live_marks_;
};

}  // namespace rpcfit::captures
