#include "harness/core/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

namespace rpcfit {
namespace {

using namespace std::chrono_literals;

TEST(RealClock, ScaleMapsScenarioTimeOntoRealTime) {
  RealClock clock(0.05);
  auto a = clock.to_steady(Duration{0});
  auto b = clock.to_steady(Duration{std::chrono::seconds(2)});
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(b - a), 100ms);
  EXPECT_EQ(clock.wall(Duration{2s}) - clock.wall(Duration{0}), Timestamp{2s});
  EXPECT_DOUBLE_EQ(clock.scale(), 0.05);
}

TEST(RealClock, NowIsMonotonicAndRunsFasterWhenScaledDown) {
  RealClock clock(0.001);
  auto real_start = std::chrono::steady_clock::now();
  auto first = clock.now();
  auto second = clock.now();
  EXPECT_LE(first, second);
  // Spin until some real time passes, then scenario time must be about 1000 times larger.
  while (std::chrono::steady_clock::now() - real_start < 2ms) {
  }
  EXPECT_GE(clock.now(), Duration{std::chrono::seconds(2)});
}

TEST(RealClock, RejectsANonPositiveScale) {
  EXPECT_THROW(RealClock(0.0), std::invalid_argument);
  EXPECT_THROW(RealClock(-1.0), std::invalid_argument);
}

TEST(Clock, RealRemainingIsZeroForAPassedDeadlineAndNulloptForNone) {
  FakeClock clock;
  EXPECT_FALSE(clock.real_remaining(std::nullopt).has_value());
  auto passed = clock.real_remaining(Duration{-1s});
  ASSERT_TRUE(passed.has_value());
  EXPECT_EQ(*passed, std::chrono::nanoseconds::zero());
  auto future = clock.real_remaining(Duration{1h});
  ASSERT_TRUE(future.has_value());
  EXPECT_GT(*future, std::chrono::nanoseconds{59min});
}

TEST(FakeClock, MovesOnlyWhenTold) {
  FakeClock clock(Timestamp{1000});
  EXPECT_EQ(clock.now(), Duration{0});
  clock.advance(5ms);
  EXPECT_EQ(clock.now(), Duration{5ms});
  clock.set(Duration{1s});
  EXPECT_EQ(clock.now(), Duration{1s});
  EXPECT_EQ(clock.wall_now(), Timestamp{1000} + Duration{1s});
}

}  // namespace
}  // namespace rpcfit
