#include "harness/run/journal.h"

#include <algorithm>

namespace rpcfit::run {

Journal::Journal(std::size_t steps, std::vector<CallRecord> calls)
    : steps_(steps), calls_(std::move(calls)) {
  for (std::size_t i = 0; i < steps_.size(); ++i)
    steps_[i].step = i;
}

void Journal::update(
    const std::function<void(std::vector<StepRecord>&, std::vector<CallRecord>&)>& fn) {
  std::lock_guard lock(mu_);
  fn(steps_, calls_);
  ++version_;
  cv_.notify_all();
}

std::vector<StepRecord> Journal::steps() const {
  std::lock_guard lock(mu_);
  return steps_;
}

std::vector<CallRecord> Journal::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

bool Journal::wait_until(const Done& done, std::chrono::steady_clock::time_point until,
                         std::chrono::nanoseconds poll) const {
  for (;;) {
    std::vector<StepRecord> steps;
    std::vector<CallRecord> calls;
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mu_);
      steps = steps_;
      calls = calls_;
      seen = version_;
    }
    if (done(steps, calls)) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return false;
    auto wake = until;
    if (poll > std::chrono::nanoseconds::zero()) wake = std::min(wake, now + poll);
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, wake, [&] { return version_ != seen; });
  }
}

}  // namespace rpcfit::run
