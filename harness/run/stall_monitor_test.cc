#include "harness/run/stall_monitor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace rpcfit::run {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

TEST(StallMonitor, RunsAProbePerCpu) {
  StallMonitor monitor([] { return Steady::now() - 1h; });
  EXPECT_GE(monitor.probes(), 1u);
  EXPECT_LE(monitor.probes(), std::thread::hardware_concurrency() + 0u);
}

TEST(StallMonitor, FindsTheWorstStallInAnInterval) {
  // The fourth wake-up reads a clock 700 ms ahead: a probe was kept off its CPU that long.
  std::promise<Steady::time_point> stalled;
  auto seen = stalled.get_future();
  std::atomic<int> reads{0};
  const auto before = Steady::now();
  StallMonitor monitor([&] {
    const auto now = Steady::now();
    if (reads.fetch_add(1) == 3) {
      stalled.set_value(now);
      return now + 700ms;
    }
    return now;
  });
  ASSERT_EQ(seen.wait_for(30s), std::future_status::ready);
  const auto at = seen.get();
  monitor.stop();
  EXPECT_GE(monitor.worst(before, at + 1s), 700ms);
  EXPECT_LT(monitor.worst(before, at + 1s), 30s);
  // Intervals the stall did not overlap saw none of it.
  EXPECT_LT(monitor.worst(at + 1h, at + 2h), 700ms);
  EXPECT_LT(monitor.worst(before - 2h, before - 1h), 700ms);
}

TEST(StallMonitor, StopsOnceAndKeepsItsFinding) {
  // A clock that never runs ahead: no lateness at all.
  StallMonitor monitor([] { return Steady::now() - 1h; });
  monitor.stop();
  monitor.stop();
  EXPECT_EQ(monitor.worst(Steady::now() - 1h, Steady::now() + 1h), 0ns);
}

}  // namespace
}  // namespace rpcfit::run
