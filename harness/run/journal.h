// What a scenario run has seen so far, written by the timeline and the client threads and read by
// the runner's waits: the step records and call records of observation.h, under one lock, with a
// condition variable that wakes waiters on every change. Times are raw readings of the run's
// clock; the runner rebases them on the scenario's start.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "harness/model/observation.h"

namespace rpcfit::run {

class Journal {
 public:
  Journal(std::size_t steps, std::vector<CallRecord> calls);

  // Records under the lock, then wakes waiters.
  void update(const std::function<void(std::vector<StepRecord>&, std::vector<CallRecord>&)>& fn);
  // A copy of the records.
  std::vector<StepRecord> steps() const;
  std::vector<CallRecord> calls() const;
  // Waits until `done(steps, calls)` holds or `until` passes (steady time); returns done's last
  // value.
  // `done` runs on a copy, without the lock, so it may call into the driver. `poll`, when
  // non-zero, also re-evaluates it that often, for conditions that depend on something the
  // journal does not see change (the server's calls).
  using Done = std::function<bool(const std::vector<StepRecord>& steps,
                                  const std::vector<CallRecord>& calls)>;
  bool wait_until(const Done& done, std::chrono::steady_clock::time_point until,
                  std::chrono::nanoseconds poll = std::chrono::nanoseconds::zero()) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<StepRecord> steps_;
  std::vector<CallRecord> calls_;
  std::uint64_t version_ = 0;  // bumped by every update
};

}  // namespace rpcfit::run
