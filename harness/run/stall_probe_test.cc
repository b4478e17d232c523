#include "harness/run/stall_probe.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace rpcfit::run {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

TEST(StallProbe, KeepsTheWorstLatenessItSaw) {
  // The third wake-up reads a clock 700 ms ahead: the probe was kept off the CPU that long.
  std::promise<void> stalled;
  auto seen = stalled.get_future();
  std::atomic<int> reads{0};
  StallProbe probe([&] {
    const int n = reads.fetch_add(1);
    if (n == 2) {
      stalled.set_value();
      return Steady::now() + 700ms;
    }
    return Steady::now();
  });
  ASSERT_EQ(seen.wait_for(30s), std::future_status::ready);
  probe.stop();
  EXPECT_GE(probe.worst(), 700ms);
  EXPECT_LT(probe.worst(), 30s);
}

TEST(StallProbe, StopsOnceAndKeepsItsFinding) {
  // A clock that never runs ahead: the probe sees no lateness at all.
  StallProbe probe([] { return Steady::now() - 1h; });
  probe.stop();
  probe.stop();
  EXPECT_EQ(probe.worst(), 0ns);
}

}  // namespace
}  // namespace rpcfit::run
