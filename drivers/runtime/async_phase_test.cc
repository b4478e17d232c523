// AsyncPhase: the life of an asynchronous client call, with plain values.
#include "drivers/runtime/async_phase.h"

#include <gtest/gtest.h>

namespace rpcfit::rpc {
namespace {

TEST(AsyncPhase, APendingCallHasNothingToTake) {
  auto p = AsyncPhase::pending;
  EXPECT_FALSE(has_outcome(p));
  EXPECT_FALSE(on_take(p));
  EXPECT_EQ(p, AsyncPhase::pending);
}

TEST(AsyncPhase, ACompletedCallIsTakenOnce) {
  auto p = on_end(AsyncPhase::pending);
  EXPECT_EQ(p, AsyncPhase::completed);
  EXPECT_TRUE(has_outcome(p));
  EXPECT_TRUE(on_take(p));
  EXPECT_EQ(p, AsyncPhase::taken);
  EXPECT_TRUE(has_outcome(p));
}

TEST(AsyncPhase, ATakenCallStaysTakenAndStillHasItsStatus) {
  auto p = AsyncPhase::taken;
  EXPECT_TRUE(on_take(p));
  EXPECT_EQ(p, AsyncPhase::taken);
}

TEST(AsyncPhase, ACallEndsOnce) {
  EXPECT_EQ(on_end(AsyncPhase::completed), AsyncPhase::completed);
  EXPECT_EQ(on_end(AsyncPhase::taken), AsyncPhase::taken);
}

}  // namespace
}  // namespace rpcfit::rpc
