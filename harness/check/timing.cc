#include "harness/check/timing.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "harness/check/check_internal.h"

namespace rpcfit::run {
namespace {

// A scale of zero or less would divide by zero or flip the sign of every tolerance; such a value
// can only be a mistake upstream, and real time is the safe reading of it.
double positive_or_one(double scale) {
  return scale > 0.0 ? scale : 1.0;
}

Duration from_nanos(double ns) {
  return Duration(static_cast<Duration::rep>(std::llround(ns)));
}

std::uint64_t magnitude(Duration d) {
  const auto n = d.count();
  return n < 0 ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n);
}

// Rounds to whole microseconds first so that 999.9996ms becomes "1.000s", not "1000ms".
std::uint64_t rounded_micros(std::uint64_t ns) {
  return (ns + 500) / 1000;
}

std::string seconds_text(std::uint64_t ns) {
  const std::uint64_t ms = (ns + 500'000) / 1'000'000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%llu.%03llus", static_cast<unsigned long long>(ms / 1000),
                static_cast<unsigned long long>(ms % 1000));
  return buf;
}

std::string millis_text(std::uint64_t us) {
  std::string out = std::to_string(us / 1000);
  std::uint64_t frac = us % 1000;
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%03llu", static_cast<unsigned long long>(frac));
    std::string digits = buf;
    while (digits.back() == '0')
      digits.pop_back();
    out += "." + digits;
  }
  return out + "ms";
}

}  // namespace

Duration tolerance_for(const Tolerance& tolerance, Duration interval,
                       const TimingSettings& settings) {
  const double time_scale = positive_or_one(settings.time_scale);
  const double tolerance_scale = positive_or_one(settings.tolerance_scale);
  const double absolute = static_cast<double>(tolerance.absolute.count());
  const double percent =
      tolerance.percent / 100.0 * static_cast<double>(std::max(interval, Duration{0}).count());
  const double floor = static_cast<double>(Duration(settings.real_floor).count()) / time_scale;
  return from_nanos(std::max({absolute, percent, floor}) * tolerance_scale);
}

Duration interval_before(const Scenario& scenario, Duration expected) {
  Duration cause{0};
  for (const Step& step : scenario.steps) {
    // Steps are not sorted in the file (the runner orders them), so take the latest one.
    if (step.at <= expected) cause = std::max(cause, step.at);
  }
  return std::max(expected - cause, Duration{0});
}

TimingCheck check_instant(const Scenario& scenario, Duration expected, Duration actual,
                          const TimingSettings& settings) {
  TimingCheck check;
  check.expected = expected;
  check.actual = actual;
  check.tolerance =
      tolerance_for(scenario.tolerance, interval_before(scenario, expected), settings);
  const Duration off = actual >= expected ? actual - expected : expected - actual;
  check.ok = off <= check.tolerance;
  return check;
}

std::string internal::format_tolerance(const TimingCheck& check) {
  // Beside instants written in seconds, a tolerance in seconds reads as the same scale.
  const Duration second = std::chrono::seconds(1);
  if (magnitude(check.expected) >= magnitude(second) ||
      magnitude(check.actual) >= magnitude(second)) {
    const std::string text = seconds_text(magnitude(check.tolerance));
    return check.tolerance < Duration{0} ? "-" + text : text;
  }
  return format_instant(check.tolerance);
}

std::string describe(const TimingCheck& check) {
  return "expected at " + format_instant(check.expected) + ", happened at " +
         format_instant(check.actual) + ", tolerance " + internal::format_tolerance(check);
}

std::string format_instant(Duration d) {
  const std::uint64_t ns = magnitude(d);
  const std::uint64_t us = rounded_micros(ns);
  const std::string text = us >= 1'000'000 ? seconds_text(ns) : millis_text(us);
  return d < Duration{0} && us != 0 ? "-" + text : text;
}

}  // namespace rpcfit::run
