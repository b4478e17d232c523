// LeaderTurns: which thread of a datagram endpoint receives, turn by turn, with plain numbers.
#include "drivers/runtime/dg_leader.h"

#include <gtest/gtest.h>

namespace rpcfit::rpc {
namespace {

// A receiving thread running the call of turn 1.
LeaderTurns running_first_call() {
  LeaderTurns t;
  t.take_over(false);
  t.start_call();
  return t;
}

TEST(LeaderTurns, TheFirstThreadToFollowReceivesAndTheNextWaits) {
  LeaderTurns t;
  EXPECT_EQ(t.state(), Leader::none);
  EXPECT_FALSE(t.runs_call());
  EXPECT_TRUE(t.take_over(false));
  EXPECT_EQ(t.state(), Leader::receiving);
  EXPECT_FALSE(t.take_over(true));  // one thread receives at a time
  EXPECT_EQ(t.state(), Leader::receiving);
}

TEST(LeaderTurns, EachCallStartedOnTheReceivingThreadHasATurnOfItsOwn) {
  LeaderTurns t;
  t.take_over(false);
  EXPECT_EQ(t.start_call(), 1u);
  EXPECT_EQ(t.state(), Leader::running);
  EXPECT_TRUE(t.runs_call());
  EXPECT_TRUE(t.end_call(1));
  EXPECT_EQ(t.start_call(), 2u);
}

TEST(LeaderTurns, AFollowerTakesOverACallOnlyOnceItsGraceIsOver) {
  auto t = running_first_call();
  EXPECT_FALSE(t.take_over(false));
  EXPECT_EQ(t.state(), Leader::running);
  EXPECT_TRUE(t.take_over(true));
  EXPECT_EQ(t.state(), Leader::receiving);
  EXPECT_FALSE(t.runs_call());
}

TEST(LeaderTurns, CS_DG_2_ARoutineLookingAtItsCancelsIsTakenOverAtOnce) {
  auto t = running_first_call();
  EXPECT_TRUE(t.hand_over(1));
  EXPECT_EQ(t.state(), Leader::handing_over);
  EXPECT_TRUE(t.runs_call());
  EXPECT_FALSE(t.hand_over(1));  // one wake-up is enough
  EXPECT_TRUE(t.take_over(false));
  EXPECT_EQ(t.state(), Leader::receiving);
}

TEST(LeaderTurns, AHandOverOfAnotherTurnOrOutsideACallIsIgnored) {
  auto t = running_first_call();
  EXPECT_FALSE(t.hand_over(2));
  EXPECT_EQ(t.state(), Leader::running);
  LeaderTurns idle;
  EXPECT_FALSE(idle.hand_over(0));
  EXPECT_EQ(idle.state(), Leader::none);
  idle.take_over(false);
  EXPECT_FALSE(idle.hand_over(0));
  EXPECT_EQ(idle.state(), Leader::receiving);
}

TEST(LeaderTurns, ACallEndingInItsTurnKeepsItsThreadReceiving) {
  auto t = running_first_call();
  EXPECT_TRUE(t.end_call(1));
  EXPECT_EQ(t.state(), Leader::receiving);
  auto handing = running_first_call();
  handing.hand_over(1);
  EXPECT_TRUE(handing.end_call(1));  // no follower came in time
  EXPECT_EQ(handing.state(), Leader::receiving);
}

TEST(LeaderTurns, ACallTakenOverEndsWithoutItsThreadReceiving) {
  auto t = running_first_call();
  t.take_over(true);
  EXPECT_FALSE(t.end_call(1));
  EXPECT_EQ(t.state(), Leader::receiving);
  // The new receiving thread runs turn 2; turn 1's end leaves it alone.
  EXPECT_EQ(t.start_call(), 2u);
  EXPECT_FALSE(t.end_call(1));
  EXPECT_EQ(t.state(), Leader::running);
  EXPECT_TRUE(t.end_call(2));
}

TEST(LeaderTurns, NoCallEndsBeforeOneStarted) {
  LeaderTurns t;
  EXPECT_FALSE(t.end_call(0));
  EXPECT_EQ(t.state(), Leader::none);
}

}  // namespace
}  // namespace rpcfit::rpc
