// ServerCancel: what a server call knows of its cancels, with plain values.
#include "drivers/runtime/server_cancel.h"

#include <gtest/gtest.h>

namespace rpcfit::rpc {
namespace {

using S = ServerCancel;

TEST(ServerCancel, CS_SRV_1_ACancelArrivesAndTheRoutineLearnsOfItByLooking) {
  EXPECT_FALSE(is_cancelled(S::none));
  EXPECT_EQ(on_look(S::none), S::none);  // RPC_S_NOT_CANCELLED: nothing to learn
  auto s = on_cancel(S::none);
  EXPECT_EQ(s, S::arrived);
  EXPECT_TRUE(is_cancelled(s));
  EXPECT_FALSE(is_observed(s));  // CS-SRV-4: a reply now carries PENDING_CANCEL
  s = on_look(s);
  EXPECT_EQ(s, S::observed);
  EXPECT_TRUE(is_cancelled(s));
  EXPECT_TRUE(is_observed(s));
  EXPECT_FALSE(is_orphaned(s));
}

TEST(ServerCancel, LaterCancelsAndLooksAreNoNews) {
  for (auto s : {S::arrived, S::observed, S::orphaned, S::orphaned_observed})
    EXPECT_EQ(on_cancel(s), s);
  EXPECT_EQ(on_look(S::observed), S::observed);
  EXPECT_EQ(on_look(S::orphaned_observed), S::orphaned_observed);
}

TEST(ServerCancel, CS_SRV_5_AnOrphanedCallIsCancelledAndKeepsWhetherTheRoutineKnew) {
  EXPECT_EQ(on_orphan(S::none), S::orphaned);
  EXPECT_EQ(on_orphan(S::arrived), S::orphaned);
  EXPECT_EQ(on_orphan(S::observed), S::orphaned_observed);
  EXPECT_EQ(on_orphan(S::orphaned), S::orphaned);
  EXPECT_EQ(on_orphan(S::orphaned_observed), S::orphaned_observed);
  EXPECT_TRUE(is_cancelled(S::orphaned));
  EXPECT_TRUE(is_orphaned(S::orphaned));
  EXPECT_FALSE(is_observed(S::orphaned));
}

TEST(ServerCancel, AnOrphanedRoutineLearnsOfItAsACancel) {
  auto s = on_look(S::orphaned);
  EXPECT_EQ(s, S::orphaned_observed);
  EXPECT_TRUE(is_cancelled(s));
  EXPECT_TRUE(is_observed(s));
  EXPECT_TRUE(is_orphaned(s));
}

}  // namespace
}  // namespace rpcfit::rpc
