// The stall monitor: how long this machine kept threads off the CPU while scenarios played. A
// loaded machine (or the host of a virtual one) that holds a thread back for 100 ms does it to the
// runtime under test's threads too (a routine's sleep, an answer, a retransmission timer), and the
// timing checks would blame the runtime for it. The runner uses the monitor's finding to tell such
// a run from a runtime's fault (runner.h: attempts).
//
// One probe thread per CPU this process may run on, pinned to it (a stalled CPU stalls only the
// threads on it), asks to wake every kPeriod and notes each wake-up that came kNotable or more
// after its instant. worst(from, to) is the longest such stall that overlapped the interval. The
// probes measure and synchronise nothing: each wake-up is a timed wait on the monitor's own
// condition, which stop() signals.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace rpcfit::run {

class StallMonitor {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;
  static constexpr std::chrono::milliseconds kPeriod{2};
  static constexpr std::chrono::milliseconds kNotable{1};
  // Stalls older than this, or beyond this many, are forgotten (a bound on what it holds).
  static constexpr std::chrono::minutes kHistory{10};
  static constexpr std::size_t kMaxStalls = 1 << 16;

  // `now` reads the time the probes compare their wake-ups with (tests give a clock that jumps);
  // empty: steady_clock.
  explicit StallMonitor(Now now = {});
  ~StallMonitor();  // stops it
  StallMonitor(const StallMonitor&) = delete;
  StallMonitor& operator=(const StallMonitor&) = delete;

  // Stops the probes; what they found stays. Idempotent.
  void stop();
  // The longest stall any probe saw that overlapped [from, to], a wake-up overdue now included.
  std::chrono::nanoseconds worst(Clock::time_point from, Clock::time_point to) const;
  // How many probes run (one per CPU it could pin one to, else one unpinned).
  std::size_t probes() const { return probes_.size(); }

 private:
  struct Probe {
    std::optional<std::size_t> cpu;        // none: not pinned
    std::optional<Clock::time_point> due;  // its pending wake-up's instant
    std::thread thread;
  };
  struct Stall {
    Clock::time_point due;
    std::chrono::nanoseconds late;
  };

  void loop(Probe& probe);
  void note(Clock::time_point due, Clock::time_point woke);  // under mu_

  Now now_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::deque<Stall> stalls_;   // in the order noted
  std::vector<Probe> probes_;  // sized once, before any thread starts
};

}  // namespace rpcfit::run
