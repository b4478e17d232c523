// The stall probe: a thread of the harness's own that asks to wake every few milliseconds while a
// scenario plays, and keeps the worst lateness it saw. A loaded machine that keeps a thread off
// the CPU for 100 ms does it to the runtime under test's threads too (a routine's sleep, an
// answer, a retransmission timer), and the timing checks would blame the runtime for it. The
// runner uses the probe's finding to tell such a run from a runtime's fault (runner.h: attempts).
//
// It measures and synchronises nothing: each wake-up is a timed wait on the probe's own
// condition, which stop() signals.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace rpcfit::run {

class StallProbe {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr std::chrono::milliseconds kPeriod{2};

  // `now` reads the time the probe compares its wake-ups with (tests give a clock that jumps).
  explicit StallProbe(Now now = {});
  ~StallProbe();  // stops it
  StallProbe(const StallProbe&) = delete;
  StallProbe& operator=(const StallProbe&) = delete;

  // Stops the thread; the worst lateness no longer grows. Idempotent.
  void stop();
  // The longest any wake-up came after its instant, so far.
  std::chrono::nanoseconds worst() const;

 private:
  void loop();
  void note(std::chrono::steady_clock::duration late);  // under mu_

  Now now_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::chrono::nanoseconds worst_{};
  std::optional<std::chrono::steady_clock::time_point> due_;  // the pending wake-up's instant
  std::thread thread_;
};

}  // namespace rpcfit::run
