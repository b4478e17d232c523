#include "harness/core/clock.h"

#include <stdexcept>

namespace rpcfit {

std::optional<std::chrono::nanoseconds> Clock::real_remaining(const Deadline& deadline) const {
  if (!deadline) return std::nullopt;
  auto left = to_steady(*deadline) - std::chrono::steady_clock::now();
  if (left < std::chrono::nanoseconds::zero()) return std::chrono::nanoseconds::zero();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(left);
}

RealClock::RealClock(double scale)
    : scale_(scale),
      origin_(std::chrono::steady_clock::now()),
      wall_origin_(std::chrono::duration_cast<Timestamp>(
          std::chrono::system_clock::now().time_since_epoch())) {
  if (!(scale > 0.0)) throw std::invalid_argument("clock scale must be positive");
}

Duration RealClock::now() const {
  auto real = std::chrono::steady_clock::now() - origin_;
  return Duration{static_cast<Duration::rep>(static_cast<double>(real.count()) / scale_)};
}

Timestamp RealClock::wall(Duration at) const {
  return wall_origin_ + at;
}

SteadyTime RealClock::to_steady(Duration at) const {
  auto real = std::chrono::nanoseconds{
      static_cast<std::chrono::nanoseconds::rep>(static_cast<double>(at.count()) * scale_)};
  return origin_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(real);
}

FakeClock::FakeClock(Timestamp wall_origin)
    : origin_(std::chrono::steady_clock::now()), wall_origin_(wall_origin) {}

Duration FakeClock::now() const {
  std::lock_guard lock(mu_);
  return now_;
}

SteadyTime FakeClock::to_steady(Duration at) const {
  return origin_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(at);
}

void FakeClock::advance(Duration d) {
  std::lock_guard lock(mu_);
  now_ += d;
}

void FakeClock::set(Duration t) {
  std::lock_guard lock(mu_);
  now_ = t;
}

Clock& default_clock() {
  static RealClock clock(1.0);
  return clock;
}

}  // namespace rpcfit
