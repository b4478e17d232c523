#include "harness/run/stall_probe.h"

#include <algorithm>

namespace rpcfit::run {

StallProbe::StallProbe(Now now) : now_(std::move(now)) {
  if (!now_) now_ = [] { return std::chrono::steady_clock::now(); };
  thread_ = std::thread([this] { loop(); });
}

StallProbe::~StallProbe() {
  stop();
}

void StallProbe::stop() {
  {
    std::lock_guard lock(mu_);
    // A wake-up that was due and has not happened yet is as late as it is now.
    if (!stopping_ && due_) note(now_() - *due_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::chrono::nanoseconds StallProbe::worst() const {
  std::lock_guard lock(mu_);
  return worst_;
}

void StallProbe::note(std::chrono::steady_clock::duration late) {
  worst_ = std::max(worst_, std::chrono::duration_cast<std::chrono::nanoseconds>(late));
}

void StallProbe::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // The instant the wait ends at is read from the real clock; how late the probe got to run
    // after it, from `now_`.
    due_ = std::chrono::steady_clock::now() + kPeriod;
    if (cv_.wait_until(lock, *due_, [this] { return stopping_; })) return;
    note(now_() - *due_);
  }
}

}  // namespace rpcfit::run
