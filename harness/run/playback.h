// One scenario run played out (runner.h describes the whole): its world (clock, capture, driver
// session, client threads, journal), the timeline, the settling wait, the watchdog and the
// verdict. It owns the run directory and removes it when it goes. If a thread cannot be ended,
// the world and the directory are abandoned rather than destroyed under it.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/check/timing.h"
#include "harness/core/clock.h"
#include "harness/run/client_thread.h"
#include "harness/run/journal.h"
#include "harness/run/runner.h"
#include "harness/run/stall_monitor.h"

namespace rpcfit::run {

class Playback {
 public:
  // `store`, when not null, gives the sink of the scenario's capture.
  // `monitor`, when not null, says how the machine stalled while it played (ScenarioRun::stall).
  Playback(RuntimeDriver& driver, const RunSettings& settings, CaptureStore* store,
           const StallMonitor* monitor, const Scenario& scenario, unsigned repetition,
           std::uint64_t seed, std::filesystem::path dir);
  ~Playback();  // ends what still runs (when play() did not), then removes or abandons the world

  // Plays the scenario and fills run's observation and the mismatches of its expectations, or
  // its verdict and reason when it is an ERROR or a SKIP. The verdict of a run that played to its
  // end is the runner's to make (judge()), once the capture checks are in.
  void play(ScenarioRun& run);
  // Whether a thread could not be ended; the world is then abandoned, not destroyed.
  bool left_behind() const { return left_behind_; }
  // Whether the scenario's capture was kept (the store gave a sink).
  bool captured() const { return captured_; }

 private:
  struct World {
    explicit World(double scale) : clock(scale) {}
    RealClock clock;
    std::unique_ptr<CaptureSink> capture;
    std::unique_ptr<DriverSession> session;
    std::shared_ptr<Journal> journal;
    std::vector<std::unique_ptr<ClientThread>> threads;
    // Runs the timeline's API calls, so that one that never returns is the watchdog's to see.
    std::unique_ptr<ClientThread> timeline;
    std::map<std::string, std::uint64_t> handles;  // open_thread's, by name (timeline thread)
    // The harness's own lateness (real time): a timeline step's wake-up after its instant, the
    // timeline thread's start of an API call after it was posted. The worst, in nanoseconds.
    std::atomic<std::int64_t> lag{0};
    StallMonitor::Now lag_now;  // the clock lag is read with (RunSettings::monitor_now)
    // Notes how late a thing due at `due` (steady_clock) got to run.
    void note_lag(std::chrono::steady_clock::time_point due);
  };
  // What an API step needs beyond the step itself, resolved on the runner's thread.
  struct ApiTarget {
    std::uint32_t thread = 0;  // the id of the thread a handle is opened to, or 0
    std::uint32_t access = 0;  // its access when the step gives none
    int async_call = -1;       // async_cancel: the call's index
  };

  bool start_threads(std::string& trouble);
  // Runs step `index` at its instant; false when the watchdog fired (reason in stuck_).
  bool run_step(std::size_t index);
  // The steps that run on a client thread (StepRunsOn::client_thread), queued on it.
  void post_call(std::size_t index);
  void post_set_cancel_timeout(std::size_t index);
  // A wait (StepRunsOn::runner): until its call has ended; false when the watchdog fired.
  bool run_wait(std::size_t index);
  // Runs an API step on the timeline's thread and waits for it until the watchdog's deadline.
  bool run_api_step(std::size_t index);
  static void perform(World& w, const Step& step, const ApiTarget& target, StepRecord& record);
  // Ends the client threads and the timeline's; what did not end, empty when all did.
  std::string end_threads();
  // Leaks the world on purpose (its threads still use it).
  void abandon();
  bool settled(const std::vector<StepRecord>& steps, const std::vector<CallRecord>& calls) const;
  // Timeline steps that ran later than the timing tolerance allows: when the API before one had
  // not returned, that API's FAIL (CS-RET-1) joins `out`; otherwise the machine was busy, and
  // the text says so (harness trouble, not the runtime's). nullopt: no such trouble.
  std::optional<std::string> late_steps(const Observation& observed, const TimingSettings& timing,
                                        std::vector<Mismatch>& out) const;
  std::string waiting_for(const std::vector<CallRecord>& calls) const;
  Observation observe() const;
  ClientThread* thread(const std::string& name) const;
  std::size_t call_index(const std::string& id) const;

  RuntimeDriver& driver_;
  const RunSettings& settings_;
  const Scenario& scenario_;
  const StallMonitor* monitor_;
  std::uint64_t seed_;
  std::filesystem::path dir_;
  std::unique_ptr<World> world_;
  Duration t0_{};
  std::chrono::steady_clock::time_point watchdog_{};
  std::string stuck_;    // what the runtime under test left running when the watchdog fired
  std::string trouble_;  // the harness's own trouble (threads, a timeline past its timeout)
  bool timeline_started_ = false;
  bool threads_ended_ = false;
  bool left_behind_ = false;
  bool captured_ = false;
};

}  // namespace rpcfit::run
