#include "harness/check/timing.h"

#include <gtest/gtest.h>

namespace rpcfit::run {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

Scenario with_steps(std::initializer_list<Duration> instants) {
  Scenario s;
  for (Duration at : instants) {
    Step step;
    step.at = at;
    s.steps.push_back(step);
  }
  return s;
}

TEST(Tolerance, AbsoluteWinsForShortIntervals) {
  // 5% of 200ms is 10ms; the floor at real time is 20ms; 50ms is the largest.
  EXPECT_EQ(tolerance_for(Tolerance{}, milliseconds(200), TimingSettings{}), milliseconds(50));
}

TEST(Tolerance, PercentWinsForLongIntervals) {
  EXPECT_EQ(tolerance_for(Tolerance{}, seconds(2), TimingSettings{}), milliseconds(100));
  Tolerance ten{milliseconds(50), 10.0, {}};
  EXPECT_EQ(tolerance_for(ten, seconds(2), TimingSettings{}), milliseconds(200));
}

TEST(Tolerance, FloorWinsAtSmallTimeScale) {
  TimingSettings fast;
  fast.time_scale = 0.05;  // 20ms of real time is 400ms of scenario time
  EXPECT_EQ(tolerance_for(Tolerance{}, seconds(2), fast), milliseconds(400));
  fast.real_floor = milliseconds(1);  // 20ms scenario: the absolute 50ms wins again
  EXPECT_EQ(tolerance_for(Tolerance{}, milliseconds(200), fast), milliseconds(50));
}

TEST(Tolerance, FloorAtRealTimeIsTheRealFloor) {
  Tolerance tight{milliseconds(5), 0.0, {}};
  EXPECT_EQ(tolerance_for(tight, seconds(10), TimingSettings{}), milliseconds(20));
}

TEST(Tolerance, ToleranceScaleMultipliesTheLargest) {
  TimingSettings slow;
  slow.tolerance_scale = 3.0;
  EXPECT_EQ(tolerance_for(Tolerance{}, seconds(2), slow), milliseconds(300));
  EXPECT_EQ(tolerance_for(Tolerance{}, milliseconds(10), slow), milliseconds(150));
  slow.tolerance_scale = 0.5;
  EXPECT_EQ(tolerance_for(Tolerance{}, seconds(2), slow), milliseconds(50));
}

TEST(Tolerance, NonPositiveScalesCountAsOne) {
  Tolerance tight{milliseconds(5), 0.0, {}};
  for (double scale : {0.0, -1.0}) {
    TimingSettings odd;
    odd.time_scale = scale;
    odd.tolerance_scale = scale;
    EXPECT_EQ(tolerance_for(tight, seconds(1), odd), milliseconds(20)) << scale;
  }
}

TEST(Tolerance, NegativeIntervalAddsNothing) {
  Tolerance pct{milliseconds(0), 50.0, {}};
  TimingSettings no_floor;
  no_floor.real_floor = milliseconds(0);
  EXPECT_EQ(tolerance_for(pct, milliseconds(-400), no_floor), Duration{0});
  EXPECT_EQ(tolerance_for(pct, milliseconds(400), no_floor), milliseconds(200));
}

TEST(IntervalBefore, RunsFromTheLastStepAtOrBeforeTheInstant) {
  // File order is not time order.
  const Scenario s = with_steps({seconds(3), Duration{0}, milliseconds(100)});
  EXPECT_EQ(interval_before(s, milliseconds(2100)), seconds(2));
  EXPECT_EQ(interval_before(s, milliseconds(100)), Duration{0});
  EXPECT_EQ(interval_before(s, milliseconds(50)), milliseconds(50));
  EXPECT_EQ(interval_before(s, milliseconds(3500)), milliseconds(500));
}

TEST(IntervalBefore, FromTheStartWithoutAnEarlierStep) {
  EXPECT_EQ(interval_before(Scenario{}, milliseconds(700)), milliseconds(700));
  EXPECT_EQ(interval_before(with_steps({seconds(1)}), milliseconds(700)), milliseconds(700));
}

TEST(CheckInstant, WithinToleranceEitherSide) {
  const Scenario s = with_steps({Duration{0}, milliseconds(100)});
  // interval 2s: tolerance 100ms
  const TimingCheck late = check_instant(s, milliseconds(2100), milliseconds(2200), {});
  EXPECT_TRUE(late.ok);
  EXPECT_EQ(late.tolerance, milliseconds(100));
  EXPECT_EQ(late.expected, milliseconds(2100));
  EXPECT_EQ(late.actual, milliseconds(2200));
  EXPECT_TRUE(check_instant(s, milliseconds(2100), milliseconds(2000), {}).ok);
  EXPECT_FALSE(check_instant(s, milliseconds(2100), milliseconds(2201), {}).ok);
  EXPECT_FALSE(check_instant(s, milliseconds(2100), milliseconds(1999), {}).ok);
}

TEST(CheckInstant, UsesTheSettings) {
  const Scenario s = with_steps({Duration{0}});
  TimingSettings fast;
  fast.time_scale = 0.05;
  EXPECT_FALSE(check_instant(s, milliseconds(100), milliseconds(400), {}).ok);
  const TimingCheck c = check_instant(s, milliseconds(100), milliseconds(400), fast);
  EXPECT_TRUE(c.ok);
  EXPECT_EQ(c.tolerance, milliseconds(400));
}

TEST(Describe, SecondsBesideSeconds) {
  const Scenario s = with_steps({Duration{0}});
  const TimingCheck c = check_instant(s, milliseconds(2100), milliseconds(2312), {});
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(describe(c), "expected at 2.100s, happened at 2.312s, tolerance 0.105s");
}

TEST(Describe, MillisecondsForShortInstants) {
  TimingCheck c{false, milliseconds(100), milliseconds(180), milliseconds(50)};
  EXPECT_EQ(describe(c), "expected at 100ms, happened at 180ms, tolerance 50ms");
  c.actual = milliseconds(1500);
  EXPECT_EQ(describe(c), "expected at 100ms, happened at 1.500s, tolerance 0.050s");
}

TEST(FormatInstant, MillisecondsBelowOneSecond) {
  EXPECT_EQ(format_instant(milliseconds(100)), "100ms");
  EXPECT_EQ(format_instant(microseconds(12500)), "12.5ms");
  EXPECT_EQ(format_instant(microseconds(1234)), "1.234ms");
  EXPECT_EQ(format_instant(microseconds(250)), "0.25ms");
  EXPECT_EQ(format_instant(Duration{0}), "0ms");
  EXPECT_EQ(format_instant(milliseconds(999)), "999ms");
}

TEST(FormatInstant, SecondsWithThreeDecimals) {
  EXPECT_EQ(format_instant(milliseconds(2100)), "2.100s");
  EXPECT_EQ(format_instant(seconds(1)), "1.000s");
  EXPECT_EQ(format_instant(microseconds(65'000'500)), "65.001s");
  EXPECT_EQ(format_instant(seconds(3600)), "3600.000s");
}

TEST(FormatInstant, RoundsAcrossTheUnitBoundary) {
  EXPECT_EQ(format_instant(nanoseconds(999'999'600)), "1.000s");
  EXPECT_EQ(format_instant(nanoseconds(1'999'600'000)), "2.000s");
  EXPECT_EQ(format_instant(nanoseconds(1'499)), "0.001ms");
  EXPECT_EQ(format_instant(nanoseconds(400)), "0ms");
}

TEST(FormatInstant, NegativeWithAMinusSign) {
  EXPECT_EQ(format_instant(milliseconds(-250)), "-250ms");
  EXPECT_EQ(format_instant(milliseconds(-2100)), "-2.100s");
  EXPECT_EQ(format_instant(microseconds(-12500)), "-12.5ms");
  EXPECT_EQ(format_instant(nanoseconds(-400)), "0ms");
}

}  // namespace
}  // namespace rpcfit::run
