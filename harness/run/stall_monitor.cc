#include "harness/run/stall_monitor.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>

namespace rpcfit::run {
namespace {

// The CPUs this process may run on; empty when the kernel does not say.
std::vector<std::optional<std::size_t>> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<std::optional<std::size_t>> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (std::size_t cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

}  // namespace

StallMonitor::StallMonitor(Now now) : now_(std::move(now)) {
  if (!now_) now_ = [] { return Clock::now(); };
  auto cpus = allowed_cpus();
  if (cpus.empty()) cpus.emplace_back();
  probes_.resize(cpus.size());
  for (std::size_t i = 0; i < cpus.size(); ++i) {
    probes_[i].cpu = cpus[i];
    probes_[i].thread = std::thread([this, &probe = probes_[i]] { loop(probe); });
  }
}

StallMonitor::~StallMonitor() {
  stop();
}

void StallMonitor::stop() {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      // A wake-up that was due and has not happened yet is as late as it is now.
      const auto now = now_();
      for (const Probe& p : probes_) {
        if (p.due && now > *p.due) note(*p.due, now);
      }
    }
    stopping_ = true;
  }
  cv_.notify_all();
  for (Probe& p : probes_) {
    if (p.thread.joinable()) p.thread.join();
  }
}

void StallMonitor::note(Clock::time_point due, Clock::time_point woke) {
  const auto late = std::chrono::duration_cast<std::chrono::nanoseconds>(woke - due);
  if (late < kNotable) return;
  stalls_.push_back({due, late});
  while (!stalls_.empty() &&
         (stalls_.size() > kMaxStalls ||
          stalls_.front().due + stalls_.front().late < woke - std::chrono::nanoseconds(kHistory))) {
    stalls_.pop_front();
  }
}

std::chrono::nanoseconds StallMonitor::worst(Clock::time_point from, Clock::time_point to) const {
  std::lock_guard lock(mu_);
  std::chrono::nanoseconds worst{};
  for (const Stall& s : stalls_) {
    if (s.due <= to && s.due + s.late >= from) worst = std::max(worst, s.late);
  }
  if (!stopping_) {
    const auto now = now_();
    for (const Probe& p : probes_) {
      if (p.due && *p.due <= to && now > *p.due) {
        worst = std::max(worst, std::chrono::duration_cast<std::chrono::nanoseconds>(now - *p.due));
      }
    }
  }
  return worst;
}

void StallMonitor::loop(Probe& probe) {
  if (probe.cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(*probe.cpu, &set);
    // Unpinned, the probe still sees stalls of whichever CPU it runs on.
    (void)::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
  }
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // The wait ends on the real clock; how late the probe got to run after it, by `now_`.
    const auto due = Clock::now() + kPeriod;
    probe.due = due;
    if (cv_.wait_until(lock, due, [this] { return stopping_; })) return;
    note(due, now_());
    probe.due.reset();
  }
}

}  // namespace rpcfit::run
