// One scenario run played out (runner.h describes the whole): its world (clock, capture, driver
// session, client threads, journal), the timeline, the settling wait, the watchdog and the
// verdict. If a client thread cannot be ended, the world is abandoned rather than destroyed under
// it.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/core/clock.h"
#include "harness/run/client_thread.h"
#include "harness/run/journal.h"
#include "harness/run/runner.h"

namespace rpcfit::run {

class Playback {
 public:
  Playback(RuntimeDriver& driver, const RunSettings& settings, const CaptureFactory& captures,
           const Scenario& scenario, unsigned repetition, std::uint64_t seed,
           std::filesystem::path dir);
  ~Playback();

  // Plays the scenario and fills run's verdict, reason, mismatches and observation.
  void play(ScenarioRun& run);
  // Whether a client thread could not be ended; the world must then outlive this object.
  bool left_behind() const { return left_behind_; }
  // Leaks the world on purpose (its threads still use it).
  void abandon();

 private:
  struct World {
    explicit World(double scale) : clock(scale) {}
    RealClock clock;
    std::unique_ptr<CaptureSink> capture;
    std::unique_ptr<DriverSession> session;
    std::shared_ptr<Journal> journal;
    std::vector<std::unique_ptr<ClientThread>> threads;
  };

  bool start_threads(std::string& trouble);
  // Runs step `index` at its instant; false when the watchdog fired (reason in stuck_).
  bool run_step(std::size_t index);
  void post_call(std::size_t index);
  std::uint64_t handle_for(const Step& step, bool& opened);
  bool settled(const std::vector<CallRecord>& calls) const;
  std::string waiting_for(const std::vector<CallRecord>& calls) const;
  Observation observe() const;
  ClientThread* thread(const std::string& name) const;
  std::size_t call_index(const std::string& id) const;

  RuntimeDriver& driver_;
  const RunSettings& settings_;
  const Scenario& scenario_;
  std::uint64_t seed_;
  std::filesystem::path dir_;
  std::unique_ptr<World> world_;
  Duration t0_{};
  std::chrono::steady_clock::time_point watchdog_{};
  std::map<std::string, std::uint64_t> handles_;
  std::string stuck_;
  bool left_behind_ = false;
};

}  // namespace rpcfit::run
