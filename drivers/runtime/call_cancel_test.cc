#include "drivers/runtime/call_cancel.h"

#include <gtest/gtest.h>

#include "harness/core/status.h"

namespace rpcfit::rpc {
namespace {

using std::chrono::milliseconds;

Duration ms(long v) {
  return milliseconds(v);
}

TEST(CallCancel, NoCancelMeansAPlainFirstFragmentAndNoDeadline) {
  CallCancel c;
  EXPECT_FALSE(c.first_fragment(ms(0)));
  EXPECT_EQ(c.take_forwards(), 0);
  EXPECT_FALSE(c.deadline().has_value());
  EXPECT_FALSE(c.told_server());
}

TEST(CallCancel, CS_PEND_1_ACancelBeforeTheFirstFragmentRidesOnItAndStartsTheTimerThen) {
  CallCancel c;
  ASSERT_TRUE(c.post(ms(100), 2));
  EXPECT_FALSE(c.deadline().has_value());  // not before the fragment leaves
  EXPECT_TRUE(c.first_fragment(ms(500)));
  EXPECT_EQ(c.take_forwards(), 0);  // no co_cancel for it
  ASSERT_TRUE(c.deadline().has_value());
  EXPECT_EQ(*c.deadline(), ms(2500));
  EXPECT_TRUE(c.told_server());
}

TEST(CallCancel, CS_IDLE_1_ASecondCancelBeforeTheFirstFragmentChangesOnlyTheTimeout) {
  CallCancel c;
  c.post(ms(0), 10);
  c.post(ms(50), 1);
  EXPECT_TRUE(c.first_fragment(ms(100)));
  EXPECT_EQ(*c.deadline(), ms(1100));
  EXPECT_EQ(c.take_forwards(), 0);
}

TEST(CallCancel, CS_FWD_1_EachCancelAfterTheFirstFragmentOwesOneCoCancel) {
  CallCancel c;
  c.first_fragment(ms(0));
  c.post(ms(10), kCancelInfiniteTimeout);
  c.post(ms(20), kCancelInfiniteTimeout);
  EXPECT_EQ(c.take_forwards(), 2);
  EXPECT_EQ(c.take_forwards(), 0);
  EXPECT_EQ(c.forwarded(), 2);
  EXPECT_FALSE(c.deadline().has_value());  // CS-TMO-4: infinite never orphans
}

TEST(CallCancel, CS_TMO_2_TheDeadlineIsPostTimePlusTimeoutAndTheEarliestWins) {
  CallCancel c;
  c.first_fragment(ms(0));
  c.post(ms(100), 5);
  EXPECT_EQ(*c.deadline(), ms(5100));
  c.post(ms(200), 1);
  EXPECT_EQ(*c.deadline(), ms(1200));
  c.post(ms(300), 10);  // a later, longer timeout does not extend it
  EXPECT_EQ(*c.deadline(), ms(1200));
  EXPECT_FALSE(c.due(ms(1199)));
  EXPECT_TRUE(c.due(ms(1200)));
}

TEST(CallCancel, ACancelPostedDuringSetupBoundsItButOneCarriedFromIdleDoesNot) {
  CallCancel carried;
  carried.carry_pending(0);
  EXPECT_FALSE(carried.setup_deadline().has_value());
  EXPECT_TRUE(carried.first_fragment(ms(300)));  // CS-PEND-1: it rides on the first fragment
  EXPECT_EQ(*carried.deadline(), ms(300));

  CallCancel during;
  during.post(ms(100), 2);
  during.post(ms(200), 5);
  ASSERT_TRUE(during.setup_deadline().has_value());
  EXPECT_EQ(*during.setup_deadline(), ms(2100));
  during.expire_setup();
  EXPECT_EQ(during.phase(), CancelPhase::orphaned);
  EXPECT_FALSE(during.post(ms(300), 1));
}

TEST(CallCancel, ATimeoutBeyondTheClocksRangeWaitsForever) {
  CallCancel c;
  c.first_fragment(ms(0));
  c.post(ms(100), 10'000'000'000L);
  EXPECT_FALSE(c.deadline().has_value());
  EXPECT_FALSE(c.due(ms(1'000'000)));
}

TEST(CallCancel, CS_TMO_3_ZeroTimeoutIsDueAtOnce) {
  CallCancel c;
  c.first_fragment(ms(0));
  c.post(ms(40), 0);
  EXPECT_TRUE(c.due(ms(40)));
  EXPECT_EQ(c.take_forwards(), 1);  // co_cancel goes out before orphaned
}

TEST(CallCancel, PostsAfterTheEndAreRefusedSoTheThreadKeepsThemPending) {
  CallCancel c;
  c.first_fragment(ms(0));
  c.post(ms(1), 0);
  c.orphan();
  EXPECT_EQ(c.phase(), CancelPhase::orphaned);
  EXPECT_FALSE(c.post(ms(2), 1));
  CallCancel d;
  d.finish();
  EXPECT_FALSE(d.post(ms(2), 1));
}

TEST(CallCancel, EventsOutsideTheirPhaseChangeNothing) {
  CallCancel c;
  c.orphan();  // nothing was sent: nothing to orphan
  EXPECT_EQ(c.phase(), CancelPhase::before_first);
  c.first_fragment(ms(0));
  c.carry_pending(0);  // carried only into a call not begun
  EXPECT_EQ(c.posted(), 0);
  EXPECT_FALSE(c.first_fragment(ms(1)));
  c.expire_setup();
  EXPECT_EQ(c.phase(), CancelPhase::sent);
  c.post(ms(2), kCancelInfiniteTimeout);
  c.orphan();
  EXPECT_EQ(c.owed(), 1);  // kept: end_call leaves it pending on the thread
  c.expire_setup();
  EXPECT_EQ(c.phase(), CancelPhase::orphaned);
  EXPECT_EQ(c.take_forwards(), 1);
  c.finish();
  EXPECT_EQ(c.phase(), CancelPhase::finished);
  c.orphan();
  EXPECT_EQ(c.phase(), CancelPhase::finished);
}

TEST(CallCancel, CS_RES_3_AReplyShowsAMissedCancel) {
  CallCancel c;
  c.first_fragment(ms(0));
  c.post(ms(1), kCancelInfiniteTimeout);
  c.post(ms(2), kCancelInfiniteTimeout);
  c.take_forwards();
  EXPECT_FALSE(c.server_missed(false, 2));
  EXPECT_TRUE(c.server_missed(false, 1));
  EXPECT_TRUE(c.server_missed(true, 2));
  CallCancel quiet;
  quiet.first_fragment(ms(0));
  EXPECT_FALSE(quiet.server_missed(true, 0));  // no cancel: nothing was missed
}

}  // namespace
}  // namespace rpcfit::rpc
